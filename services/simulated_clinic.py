"""What the simulated patient-access staff do: book ED follow-up
appointments, verify insurance, and check patients in (or record a no-show).

Mixed into `services.simulator.Simulator`. A 409 `slot_already_booked` is
the normal answer to a taken slot: the scheduler offers the next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.simulated_ed import Visit

PAYERS = ("Acme Health Plan", "Sample Mutual", "State Medicaid (synthetic)", "Medicare (synthetic)")
CLINIC_OPENS = 8  # local hour of the first slot
CLINIC_HOURS = 8
SLOT_TRIES = 8
NO_SHOW_CHANCE = 0.15
VERIFIED_CHANCE = 0.92


class ClinicActions:
    def book_follow_up(self, visit: Visit) -> None:
        kind = self.facility.appointment_kind("ed-follow-up")
        providers = self.facility.providers_in(kind.department) if kind else []
        if kind is None or not providers:
            return
        zone = self.facility.zone
        day = self.now.astimezone(zone).date() + timedelta(days=self.ops_rng.randint(2, 5))
        opening = datetime(day.year, day.month, day.day, CLINIC_OPENS, tzinfo=zone)
        slots = CLINIC_HOURS * 60 // kind.minutes
        first = self.ops_rng.randrange(slots)
        provider = self.ops_rng.choice(providers).id
        appointment_id = f"FU-{visit.number}"
        for slot in range(first, min(first + SLOT_TRIES, slots)):
            start = opening + timedelta(minutes=slot * kind.minutes)
            end = start + timedelta(minutes=kind.minutes)
            reply = self.command("scheduler", "/appointments", {
                "appointment_id": appointment_id,
                "patient": self._patient(visit.course),
                "provider_id": provider,
                "department": kind.department,
                "appointment_type": kind.type,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "reason": "ED follow-up",
                "encounter_id": visit.encounter_id,
            })  # fmt: skip
            if reply.ok:
                self.tally.appointments += 1
                self._verify_insurance(appointment_id)
                self.schedule(start - timedelta(minutes=self.ops_rng.uniform(0, 15)), self._appointment_day, appointment_id, end)
                return
            if reply.error_code != "slot_already_booked":
                return

    def _verify_insurance(self, appointment_id: str) -> None:
        coverage = {"payer": self.ops_rng.choice(PAYERS), "member_id": f"M{self.ops_rng.randrange(10**8):08d}"}
        path = f"/appointments/{appointment_id}/insurance-verification"
        if self.command("scheduler", path, {"coverage": coverage}).ok:
            self.after(self.ops_rng.uniform(5, 60), self._insurance_answer, appointment_id)

    def _insurance_answer(self, appointment_id: str) -> None:
        verified = self.ops_rng.random() < VERIFIED_CHANCE
        body = {"verified": verified} if verified else {"verified": False, "detail": "member id not found"}
        self.command("scheduler", f"/appointments/{appointment_id}/insurance-verification/result", body)

    def _appointment_day(self, appointment_id: str, end: datetime) -> None:
        if self.ops_rng.random() < NO_SHOW_CHANCE:
            self.after(20, self._no_show, appointment_id)
        elif self.command("scheduler", f"/appointments/{appointment_id}/check-in").ok:
            self.schedule(end + timedelta(minutes=self.ops_rng.uniform(0, 10)), self._complete, appointment_id)

    def _no_show(self, appointment_id: str) -> None:
        self.command("scheduler", f"/appointments/{appointment_id}/no-show")

    def _complete(self, appointment_id: str) -> None:
        self.command("provider", f"/appointments/{appointment_id}/complete")
