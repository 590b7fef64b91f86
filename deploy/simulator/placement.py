"""What the simulated bed manager does: each admission's bed request is
given an inpatient bed part-way through the boarding time, the bed is made
ready, the patient leaves the ED for it, and the inpatient goes home some
hours later, freeing the bed.

Mixed into `deploy.simulator.department.Simulator`. Every choice is drawn
from a generator of the visit's own (seeded by its number), so placement
never shifts the seeded visits or the other staff's draws. A 409 (the bed
was taken meanwhile) moves on to the next free bed.
"""

from __future__ import annotations

import random
from typing import Any

from deploy.simulator.beds import BedActions
from deploy.simulator.patients import lognormal
from deploy.simulator.state import Visit

TELEMETRY_COMPLAINTS = ("chest pain", "palpitations", "syncope", "shortness of breath")


class PlacementActions(BedActions):
    _inpatient_taken: set[str]

    def _placement_rng(self, visit: Visit) -> random.Random:
        return random.Random(f"placement:{visit.number}")

    def admission_body(self, visit: Visit) -> dict[str, Any]:
        """The admit decision and the bed request it opens: the receiving unit
        of the facility file for the level of care, and what the bed needs."""
        course, rng = visit.course, self._placement_rng(visit)
        level = course.outcome
        requested = "step-down" if level == "ward" and rng.random() < 0.15 else level
        unit = self._unit_for(requested, rng)
        needs: dict[str, Any] = {}
        if requested != "icu" and any(c in course.chief_complaint.lower() for c in TELEMETRY_COMPLAINTS):
            needs["telemetry"] = True
        if rng.random() < 0.12:
            needs["isolation"] = rng.choice(("contact", "droplet", "airborne"))
        if rng.random() < 0.05:
            needs["bariatric"] = True
        body: dict[str, Any] = {"level_of_care": level, "inpatient_unit": unit or course.inpatient_unit}
        return body | {"requested_level": requested, "needs": needs}

    def _unit_for(self, level: str, rng: random.Random) -> str | None:
        units = [u.id for u in self.facility.inpatient_units if u.level_of_care == level]
        return rng.choice(units) if units else None

    def plan_placement(self, visit: Visit, unit: str | None) -> None:
        """Assign a bed after about half the boarding time, ready it at three quarters."""
        if unit is None:
            return
        boarding = visit.course.boarding_minutes
        rng = self._placement_rng(visit)
        self.after(boarding * rng.uniform(0.3, 0.6), self._assign_inpatient, visit, unit)
        self.after(boarding * rng.uniform(0.7, 0.9), self._ready_inpatient, visit)

    def _assign_inpatient(self, visit: Visit, unit_id: str) -> None:
        if visit.gone:
            return
        unit = next((u for u in self.facility.inpatient_units if u.id == unit_id), None)
        free = [b for b in unit.bed_ids() if b not in self._inpatient_taken] if unit else []
        for bed_id in free[:5]:
            path = f"/encounters/{visit.encounter_id}/bed-request/assignment"
            reply = self.command("bed-manager", path, {"unit": unit_id, "bed_id": bed_id})
            self._inpatient_taken.add(bed_id)  # taken by this visit, or by someone else (409)
            if reply.ok:
                visit.inpatient_bed = bed_id
                self.tally.placements += 1
                return
            if reply.error_code != "bed_not_available":
                return

    def _ready_inpatient(self, visit: Visit) -> None:
        if visit.gone or visit.inpatient_bed is None:
            return
        self.command("bed-manager", f"/encounters/{visit.encounter_id}/bed-request/ready")

    def left_for_inpatient_bed(self, visit: Visit) -> None:
        """The boarder is in the inpatient bed; the inpatient stay ends some hours later."""
        bed_id = visit.inpatient_bed
        if bed_id is not None:
            stay = lognormal(self._placement_rng(visit), 36 * 60, 0.5, 6 * 60, 6 * 24 * 60)
            self.after(stay, self._inpatient_home, bed_id)

    def _inpatient_home(self, bed_id: str) -> None:
        if self.command("bed-manager", f"/inpatient-beds/{bed_id}/release", {"reason": "discharged"}).ok:
            self._inpatient_taken.discard(bed_id)

    def bed_request_closed(self, visit: Visit) -> None:
        """The visit left otherwise (or the discharge was undone): its held bed is free again."""
        if visit.inpatient_bed is not None:
            self._inpatient_taken.discard(visit.inpatient_bed)
            visit.inpatient_bed = None
