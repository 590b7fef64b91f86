"""What the simulated patient-access staff do: book each weekday's outpatient
clinics the evening before, book ED follow-up appointments, verify insurance,
cancel a few bookings, and check patients in (or record a no-show).

Mixed into `deploy.simulator.department.Simulator`. A 409 `slot_already_booked` is
the normal answer to a taken slot: the scheduler offers the next one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from base.facility import AppointmentKind
from base.facility_hours import working_weeks
from deploy.simulator.client import Reply
from deploy.simulator.patients import draw_course
from deploy.simulator.state import Department, Visit

PAYERS = ("Acme Health Plan", "Sample Mutual", "State Medicaid (synthetic)", "Medicare (synthetic)")
CLINIC_OPENS = 8  # local hour of the first slot
CLINIC_HOURS = 8
SLOT_TRIES = 8
NO_SHOW_CHANCE = 0.15
VERIFIED_CHANCE = 0.92
# Outpatient clinics: which appointment types, how full by the evening
# before, when that list is booked, and how many bookings are cancelled.
CLINIC_TYPES = ("outpatient-visit", "outpatient-procedure")
CLINIC_FILL = 0.7
CLINIC_BOOKING_HOUR = 17
CANCEL_CHANCE = 0.06
CANCEL_REASONS = ("patient request", "patient feels better", "transport unavailable", "provider unavailable")


class ClinicActions(Department):
    # --- outpatient clinics ---------------------------------------------------

    def start_clinics(self) -> None:
        """Book what is left of today's clinics now (the department was already
        open), then every evening the next day's."""
        self._define_clinic_hours()
        day = self.now.astimezone(self.facility.zone).date()
        self._book_clinic_day(day)
        if self._local(day, CLINIC_BOOKING_HOUR) <= self.now:  # this evening's list is already due
            day += timedelta(days=1)
            self._book_clinic_day(day)
        self.schedule(self._local(day, CLINIC_BOOKING_HOUR), self._evening_booking, day)

    def _define_clinic_hours(self) -> None:
        """Every provider of a department that takes appointments works: the
        facility file's hours where its department has them (the same
        schedule `edflow facility load` defines), else the hours the clinics
        are booked in, every day (ED follow-ups fall on weekends too), so the
        scheduling desk shows their free and booked time."""
        kinds = self.facility.appointment_types
        lengths = {k.type: k.minutes for k in kinds}
        closes = f"{CLINIC_OPENS + CLINIC_HOURS:02d}:00"
        every_day = [{"weekday": d, "start": f"{CLINIC_OPENS:02d}:00", "end": closes} for d in range(7)]
        weeks = {w.provider_id: w for w in working_weeks(self.facility)}
        for department in sorted({k.department for k in kinds}):
            for provider in self.facility.providers_in(department):
                body: dict[str, object] = {"department": department, "time_zone": self.facility.timezone}
                week = weeks.get(provider.id)
                if week is None:
                    body |= {"hours": every_day, "slot_lengths": lengths}
                else:
                    hours = [{"weekday": d, "start": f"{s:%H:%M}", "end": f"{e:%H:%M}"} for d, s, e in week.hours]
                    body |= {"hours": hours, "slot_lengths": week.slot_lengths}
                self.command("scheduler", f"/schedules/provider/{provider.id}", body, "PUT")

    def _evening_booking(self, day: date) -> None:
        tomorrow = day + timedelta(days=1)
        self._book_clinic_day(tomorrow)
        self.schedule(self._local(tomorrow, CLINIC_BOOKING_HOUR), self._evening_booking, tomorrow)

    def _book_clinic_day(self, day: date) -> None:
        if day.weekday() >= 5:  # clinics close at weekends
            return
        for kind in filter(None, map(self.facility.appointment_kind, CLINIC_TYPES)):
            for provider in self.facility.providers_in(kind.department):
                opening = self._local(day, CLINIC_OPENS)
                for slot in range(CLINIC_HOURS * 60 // kind.minutes):
                    start = opening + timedelta(minutes=slot * kind.minutes)
                    if start > self.now + timedelta(minutes=30) and self.ops_rng.random() < CLINIC_FILL:
                        self._book_clinic_slot(kind, provider.id, start)

    def _book_clinic_slot(self, kind: AppointmentKind, provider_id: str, start: datetime) -> None:
        # A clinic patient is the synthetic person of a low-acuity course.
        person = draw_course(self.ops_rng, 4, self.now)
        appointment_id = f"OP-{self._run_tag}-{next(self._clinic_numbers):05d}"
        reply = self._book(appointment_id, self._patient(person), provider_id, kind, start, "clinic visit",
                           contact={"email": f"{person.mrn.lower()}@patients.example.org"})  # fmt: skip
        if not reply.ok:  # taken by an earlier run of the same day: the next slot is another patient's
            return
        if self.ops_rng.random() < CANCEL_CHANCE:
            when = self.now + (start - self.now) * self.ops_rng.uniform(0.2, 0.9)
            self.schedule(when, self._cancel, appointment_id)
        else:
            self._expect_on_the_day(appointment_id, start, start + timedelta(minutes=kind.minutes))

    def _cancel(self, appointment_id: str) -> None:
        self.command(
            "scheduler", f"/appointments/{appointment_id}/cancel", {"reason": self.ops_rng.choice(CANCEL_REASONS)}
        )

    def _local(self, day: date, hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=self.facility.zone)

    # --- ED follow-ups ----------------------------------------------------------

    def book_follow_up(self, visit: Visit) -> None:
        kind = self.facility.appointment_kind("ed-follow-up")
        providers = self.facility.providers_in(kind.department) if kind else []
        if kind is None or not providers:
            return
        day = self.now.astimezone(self.facility.zone).date() + timedelta(days=self.ops_rng.randint(2, 5))
        opening = self._local(day, CLINIC_OPENS)
        slots = CLINIC_HOURS * 60 // kind.minutes
        first = self.ops_rng.randrange(slots)
        provider = self.ops_rng.choice(providers).id
        appointment_id = f"FU-{visit.number}"
        for slot in range(first, min(first + SLOT_TRIES, slots)):
            start = opening + timedelta(minutes=slot * kind.minutes)
            reply = self._book(appointment_id, self._patient(visit.course), provider, kind, start, "ED follow-up",
                               encounter_id=visit.encounter_id)  # fmt: skip
            if reply.ok:
                self._expect_on_the_day(appointment_id, start, start + timedelta(minutes=kind.minutes))
                return
            if reply.error_code != "slot_already_booked":
                return

    # --- every booking ------------------------------------------------------------

    def _book(self, appointment_id: str, patient: dict[str, Any], provider_id: str, kind: AppointmentKind,
              start: datetime, reason: str, **extra: str | dict[str, str]) -> Reply:  # fmt: skip
        """Book one slot and ask for its insurance to be verified."""
        reply = self.command("scheduler", "/appointments", {
            "appointment_id": appointment_id,
            "patient": patient,
            "provider_id": provider_id,
            "department": kind.department,
            "appointment_type": kind.type,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=kind.minutes)).isoformat(),
            "reason": reason,
            **extra,
        })  # fmt: skip
        if reply.ok:
            self.tally.appointments += 1
            self._verify_insurance(appointment_id)
        return reply

    def _expect_on_the_day(self, appointment_id: str, start: datetime, end: datetime) -> None:
        self.schedule(
            start - timedelta(minutes=self.ops_rng.uniform(0, 15)), self._appointment_day, appointment_id, end
        )

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
