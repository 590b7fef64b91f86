"""What the simulated ED staff do: register, triage, room, see, admit or
discharge, clean beds, block and unblock them, and correct mistakes.

Mixed into `deploy.simulator.department.Simulator`, which provides the clock
(`now`, `after`), the seeded generators and the command client. A 409 is
normal here (a bed someone else took, a visit someone closed): the simulator
learns the current state and carries on.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from deploy.simulator.client import Reply
from deploy.simulator.patients import CORRECTED_COMPLAINTS, Course, draw_course
from deploy.simulator.placement import PlacementActions
from deploy.simulator.state import Visit

# Bed types a patient may be roomed in, best first.
BED_PREFERENCE: dict[int, tuple[str, ...]] = {
    1: ("resus", "acute", "hallway"),
    2: ("acute", "resus", "hallway"),
    3: ("acute", "exam", "hallway"),
    4: ("fast-track", "exam", "acute"),
    5: ("fast-track", "exam", "acute"),
}
LWBS_CHANCE = 0.7  # of patients still waiting when their patience runs out


class EDActions(PlacementActions):
    def _patient(self, course: Course) -> dict[str, Any]:
        patient = {
            "mrn": course.mrn,
            "family_name": course.family_name,
            "given_name": course.given_name,
            "age_years": course.age_years,
            "sex": course.sex,
        }
        # The API refuses birth dates after today's real date; a simulation
        # running ahead of the calendar may draw one for a newborn.
        if course.birth_date <= datetime.now().date():
            patient["birth_date"] = course.birth_date.isoformat()
        return patient

    # --- arrival and triage -------------------------------------------------

    def arrive(self, number: str) -> None:
        course = draw_course(self.rng, self.model.draw_esi(self.rng), self.now)
        visit = Visit(number, course, self.now)
        reply = self.command("intake", "/encounters", {
            "visit_number": number,
            "patient": self._patient(course),
            "arrival_mode": course.arrival_mode,
            "chief_complaint": course.chief_complaint,
        })  # fmt: skip
        if not reply.ok:
            return
        visit.encounter_id = reply.body["id"]
        self.visits[visit.encounter_id] = visit
        self.tally.arrivals += 1
        self.after(course.minutes_to_triage, self._triage, visit)
        if course.patience_minutes is not None:
            self.after(course.patience_minutes, self._patience_runs_out, visit)
        if course.correction == "details":
            self.after(self.ops_rng.uniform(5, 40), self._correct_details, visit)
        elif course.correction == "duplicate":
            self._register_duplicate(visit)

    def _triage(self, visit: Visit) -> None:
        if visit.stage != "arrived":
            return
        reply = self.command("charge-nurse", f"/encounters/{visit.encounter_id}/triage", {"esi": visit.course.esi})
        if self._closed(visit, reply):
            return
        visit.stage = "waiting"
        self.fill_beds()

    def _patience_runs_out(self, visit: Visit) -> None:
        if visit.stage not in ("arrived", "waiting") or self.ops_rng.random() >= LWBS_CHANCE:
            return
        reply = self.command("intake", f"/encounters/{visit.encounter_id}/left-without-being-seen")
        if reply.ok:
            self._gone(visit, "lwbs")
        else:
            self._closed(visit, reply)

    # --- beds ---------------------------------------------------------------

    def fill_beds(self) -> None:
        """Room waiting patients, most urgent first, then longest waiting."""
        waiting = [v for v in self.visits.values() if v.stage == "waiting"]
        for visit in sorted(waiting, key=lambda v: (v.course.esi, v.arrived_at)):
            if not any(b.status == "available" for b in self.beds.values()):
                return
            preference = BED_PREFERENCE[visit.course.esi]
            if visit.course.wants_psych_bed:
                preference = ("psych",) + preference
            if self._move_to_bed(visit, preference):
                visit.stage = "roomed"
                self.after(visit.course.minutes_bed_to_provider, self._see, visit)
                if visit.course.ventilated:
                    self.after(2, self._ventilate, visit, "start")
                done = visit.arrived_at + timedelta(minutes=visit.course.minutes_target_stay)
                self.schedule(max(done, self.now + timedelta(minutes=20)), self._decide, visit)

    def _move_to_bed(self, visit: Visit, bed_types: tuple[str, ...]) -> bool:
        for bed_type in bed_types:
            free = sorted(
                (b for b in self.beds.values() if b.status == "available" and b.bed_type == bed_type),
                key=lambda b: b.bed_id,
            )
            self.ops_rng.shuffle(free)
            for bed in free:
                previous = visit.bed_id
                reply = self.command("charge-nurse", f"/encounters/{visit.encounter_id}/bed", {"bed_id": bed.bed_id})
                if reply.ok:
                    bed.status, visit.bed_id = "occupied", bed.bed_id
                    if previous is not None:
                        self.bed_left(previous)
                    else:
                        self._assign_nurse(visit, bed.unit)
                    return True
                if reply.error_code != "bed_not_available":
                    self._closed(visit, reply)
                    return False
                self.learn_bed(bed, reply.error_details.get("status"))
        return False

    def _assign_nurse(self, visit: Visit, unit: str) -> None:
        """One of the unit's three nurses, by the visit (no draw from the
        simulation's random streams, so a seed plays the same visits as before)."""
        nurse = f"rn-{unit}-{int(visit.encounter_id.replace('-', ''), 16) % 3 + 1}"
        path = f"/encounters/{visit.encounter_id}/nurse"
        self._closed(visit, self.command("charge-nurse", path, {"nurse_id": nurse}))

    # --- the stay -------------------------------------------------------------

    def _see(self, visit: Visit) -> None:
        if visit.stage == "roomed":
            provider = self.ops_rng.choice(self.ed_providers) if self.ed_providers else "ed-provider"
            self._closed(
                visit, self.command("provider", f"/encounters/{visit.encounter_id}/provider", {"provider_id": provider})
            )

    def _ventilate(self, visit: Visit, action: str) -> None:
        """On a ventilator shortly after rooming; off again before leaving, unless
        the patient leaves on it (departure ends the ED's count)."""
        if visit.gone or visit.ventilated == (action == "start"):
            return
        reply = self.command("provider", f"/encounters/{visit.encounter_id}/ventilation", {"action": action})
        if self._closed(visit, reply):
            return
        visit.ventilated = action == "start"
        minutes = visit.course.minutes_on_ventilator
        if visit.ventilated:
            self.tally.ventilations += 1
            if minutes is not None:
                self.after(minutes, self._ventilate, visit, "stop")

    def _decide(self, visit: Visit) -> None:
        if visit.stage != "roomed":
            return
        course, path = visit.course, f"/encounters/{visit.encounter_id}"
        if course.outcome in ("ward", "icu"):
            body = self.admission_body(visit)
            reply = self.command("provider", f"{path}/admit-decision", body)
            if not self._closed(visit, reply):
                visit.stage, visit.boarding = "leaving", True
                self.plan_placement(visit, body["inpatient_unit"])
                self.after(course.boarding_minutes, self._depart, visit, "admitted", course.destination)
        elif course.outcome == "observation" and self._move_to_bed(visit, ("observation",)):
            visit.stage = "leaving"
            self.after(course.boarding_minutes, self._depart, visit, "home", None)
        elif course.outcome in ("transferred", "left-against-advice", "died"):
            self._depart(visit, course.outcome, course.destination)
        else:
            self._depart(visit, "home", None)

    def _depart(self, visit: Visit, disposition: str, destination: str | None) -> None:
        if visit.gone:
            return
        if disposition == "admitted" and visit.inpatient_bed is not None:
            destination = visit.inpatient_bed
        body = {"disposition": disposition} | ({"destination": destination} if destination else {})
        reply = self.command("provider", f"/encounters/{visit.encounter_id}/discharge", body)
        if self._closed(visit, reply):
            return
        if disposition == "admitted":
            self.left_for_inpatient_bed(visit)
        else:
            self.bed_request_closed(visit)
        if visit.bed_id is not None:
            self.bed_left(visit.bed_id)
        self._gone(visit, "inherited" if visit.inherited else disposition)
        visit.stay_minutes = (self.now - visit.arrived_at).total_seconds() / 60
        if visit.inherited:
            return
        self.tally.stays_minutes.append(visit.stay_minutes)
        if visit.course.correction == "discharge-error" and not visit.discharge_cancelled:
            self.after(self.ops_rng.uniform(5, 30), self._cancel_discharge, visit, disposition)
        elif visit.course.books_follow_up:
            self.after(self.ops_rng.uniform(30, 240), self.book_follow_up, visit)

    def _gone(self, visit: Visit, how: str) -> None:
        visit.stage, visit.bed_id, visit.boarding = "gone", None, False
        self.tally.departures[how] += 1
        self.visits.pop(visit.encounter_id, None)

    def _closed(self, visit: Visit, reply: Reply) -> bool:
        """True when the command failed; a visit closed by someone else is forgotten."""
        if reply.ok:
            return False
        if reply.error_code in ("encounter_closed", "not_found"):
            self._gone(visit, "closed elsewhere")
        return True

    # --- corrections --------------------------------------------------------

    def _correct_details(self, visit: Visit) -> None:
        if visit.gone:
            return
        course = visit.course
        fix = CORRECTED_COMPLAINTS.get(course.chief_complaint)
        body = {"chief_complaint": fix} if fix else {"patient": {"age_years": course.age_years, "sex": course.sex}}
        if self.command("intake", f"/encounters/{visit.encounter_id}", body, method="PATCH").ok:
            self.tally.corrections += 1

    def _register_duplicate(self, visit: Visit) -> None:
        """A second registration of the same patient, noticed and cancelled."""
        reply = self.command("intake", "/encounters", {
            "visit_number": f"{visit.number}-D",
            "patient": self._patient(visit.course),
            "arrival_mode": visit.course.arrival_mode,
        })  # fmt: skip
        if reply.ok:
            self.after(self.ops_rng.uniform(2, 15), self._cancel_duplicate, reply.body["id"])

    def _cancel_duplicate(self, encounter_id: str) -> None:
        path = f"/encounters/{encounter_id}/arrival-cancellation"
        if self.command("intake", path, {"reason": "duplicate registration"}).ok:
            self.tally.corrections += 1

    def _cancel_discharge(self, visit: Visit, disposition: str) -> None:
        path = f"/encounters/{visit.encounter_id}/discharge-cancellation"
        if not self.command("provider", path, {"reason": "discharged in error"}).ok:
            return
        self.tally.corrections += 1
        visit.discharge_cancelled = True
        self.tally.departures[disposition] -= 1
        self.tally.stays_minutes.remove(visit.stay_minutes)
        visit.stage = "leaving"
        self.visits[visit.encounter_id] = visit
        self.after(self.ops_rng.uniform(15, 60), self._depart, visit, disposition, visit.course.destination)

    def take_over_visits(self, encounter_ids: tuple[str, ...]) -> None:
        """Finish the stays an earlier run left open (waiting, or in a bed)."""
        for encounter_id in encounter_ids:
            if encounter_id not in self.visits:
                self._finish_inherited_stay(encounter_id)

    def _finish_inherited_stay(self, encounter_id: str, bed_id: str | None = None) -> None:
        reply = self.client.get("charge-nurse", f"/encounters/{encounter_id}")
        if not reply.ok or reply.body.get("status") not in ("waiting", "roomed"):
            if bed_id is None:
                return  # closed since, or never ours: nothing to finish
            arrived = self.now
        else:
            arrived = datetime.fromisoformat(reply.body["arrived_at"])
            bed_id = bed_id or reply.body.get("bed_id")
        # Its own generator: taking over never shifts the seeded visits.
        course = draw_course(random.Random(encounter_id), 3, arrived)
        visit = Visit(f"inherited-{encounter_id[:8]}", course, arrived, encounter_id, "leaving", bed_id, inherited=True)
        self.visits[encounter_id] = visit
        self.schedule(
            max(arrived, self.now) + timedelta(minutes=self.ops_rng.uniform(5, 120)), self._depart, visit, "home", None
        )
