"""Appointments: their lifecycle, pre-op checklist, insurance and reminders.

Calendars (`ProviderDay`, `RoomDay`) live in `services.access.calendars`;
booking saves the appointment and every day it touches atomically, so two
bookings racing for one slot cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from base.input_bounds import OutOfBounds, check_length
from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentModified,
    AppointmentNoShow,
    AppointmentRescheduled,
    AppointmentType,
    Coverage,
    Fact,
    InsuranceRecheckNeeded,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    PreOpItemCompleted,
    ReminderSent,
    missing_items,
)
from services.access.calendars import ProviderDay, RoomDay
from services.errors import ChecklistIncomplete, Invalid, InvalidTransition, ReminderAlreadySent
from services.recording import FlowAggregate, Meta

AppointmentStatus = Literal["booked", "checked-in", "fulfilled", "cancelled", "noshow"]
InsuranceStatus = Literal["unverified", "requested", "verified", "failed", "recheck"]
__all__ = ["Appointment", "ProviderDay", "RoomDay", "check_interval"]


def check_interval(start: datetime, end: datetime) -> None:
    """Aware, in order, and at least the shortest slot long (base.input_bounds)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("start and end need a time zone offset", field="start")
    try:
        check_length(start, end)
    except OutOfBounds as refused:
        raise Invalid(str(refused), field="end") from None


class Appointment(FlowAggregate):
    TOPIC = "edflow:Appointment"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:Appointment.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:Appointment.Recorded"

    @classmethod
    def book(cls, aggregate_id, fact: AppointmentBooked, meta: Meta) -> Appointment:
        check_interval(fact.start, fact.end)
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def reschedule(self, provider_id: str, start: datetime, end: datetime, meta: Meta) -> None:
        check_interval(start, end)
        self._check_status({"booked"}, "rescheduled")
        self._record(
            AppointmentRescheduled(
                provider_id=provider_id,
                start=start,
                end=end,
                previous_provider_id=self.provider_id,
                previous_start=self.start,
                previous_end=self.end,
            ),
            meta,
        )
        # A verification holds for the coverage's dates: a move outside them needs a new one.
        if self.insurance == "verified" and not self._covered_on(start):
            self._record(InsuranceRecheckNeeded(reason="the new date is outside the coverage's effective dates"), meta)

    def cancel(self, reason: str, meta: Meta) -> None:
        self._check_status({"booked", "checked-in"}, "cancelled")
        self._record(AppointmentCancelled(reason=reason), meta)

    def modify(
        self,
        meta: Meta,
        reason: str | None = None,
        appointment_type: AppointmentType | None = None,
        room_id: str | None = None,
    ) -> None:
        self._check_status({"booked"}, "modified")
        if reason is None and appointment_type is None and room_id is None:
            raise Invalid("nothing to change: send reason, appointment_type or room_id", field="body")
        previous_room = self.room_id if room_id is not None else None
        self._record(
            AppointmentModified(
                reason=reason, appointment_type=appointment_type, room_id=room_id, previous_room_id=previous_room
            ),
            meta,
        )

    def complete_checklist_item(self, item: str, note: str, meta: Meta) -> None:
        self._check_status({"booked"}, "prepared")
        if self.appointment_type != "surgical-case":
            raise InvalidTransition(
                "only a surgical case has a pre-operative checklist", appointment_type=self.appointment_type
            )
        if item in self.checklist_done:
            raise InvalidTransition(f"checklist item {item} is already complete", item=item)
        self._record(PreOpItemCompleted(item=item, note=note), meta)  # type: ignore[arg-type]

    def confirm(self, meta: Meta) -> None:
        self._check_status({"booked"}, "confirmed")
        if self.confirmed:
            raise InvalidTransition("the appointment is already confirmed")
        missing = missing_items(self.appointment_type, self.checklist_done)
        if missing:
            raise ChecklistIncomplete(
                "the pre-operative checklist is incomplete: " + ", ".join(missing), missing=", ".join(missing)
            )
        self._record(AppointmentConfirmed(), meta)

    def check_in(self, meta: Meta) -> None:
        self._check_status({"booked"}, "checked in")
        if self.appointment_type == "surgical-case" and not self.confirmed:
            raise ChecklistIncomplete("a surgical case is checked in only after it is confirmed")
        self._record(PatientCheckedIn(), meta)

    def no_show(self, meta: Meta) -> None:
        self._check_status({"booked"}, "marked no-show")
        self._record(AppointmentNoShow(), meta)

    def complete(self, meta: Meta) -> None:
        self._check_status({"checked-in"}, "completed")
        self._record(AppointmentCompleted(), meta)

    def request_verification(self, coverage: Coverage, meta: Meta) -> None:
        self._check_status({"booked", "checked-in"}, "sent for insurance verification")
        self._record(InsuranceVerificationRequested(coverage=coverage), meta)

    def record_verification(self, verified: bool, detail: str, meta: Meta, method: str = "manual") -> None:
        if self.insurance != "requested":
            raise InvalidTransition(
                "no insurance verification is pending for this appointment", insurance=self.insurance
            )
        fact = (
            InsuranceVerified(method=method, reference=detail)
            if verified
            else InsuranceVerificationFailed(reason=detail)
        )
        self._record(fact, meta)

    def need_recheck(self, reason: str, meta: Meta) -> None:
        if self.insurance not in ("verified", "failed"):
            raise InvalidTransition("only a verified or failed coverage can need a re-check", insurance=self.insurance)
        self._record(InsuranceRecheckNeeded(reason=reason), meta)

    def record_reminder(self, lead_minutes: int, channel: str, message_id: str, meta: Meta) -> None:
        """One reminder per lead time, ever: a restarted sender cannot record twice."""
        if lead_minutes in self.reminders_sent:
            raise ReminderAlreadySent(f"the {lead_minutes}-minute reminder was already sent", lead_minutes=lead_minutes)
        self._check_status({"booked"}, "reminded")
        self._record(ReminderSent(lead_minutes=lead_minutes, channel=channel, message_id=message_id), meta)

    def _covered_on(self, moment: datetime) -> bool:
        coverage, day = self.coverage, moment.date()
        if coverage is None:
            return True
        return (coverage.effective_from is None or coverage.effective_from <= day) and (
            coverage.effective_to is None or day <= coverage.effective_to
        )

    def _check_status(self, allowed: set[str], what: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"a {self.status} appointment cannot be {what}", status=self.status)

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case AppointmentBooked():
                self.status, self.provider_id = "booked", fact.provider_id
                self.start, self.end = fact.start, fact.end
                self.insurance, self.coverage, self.insurance_note = "unverified", None, ""
                self.department, self.appointment_type = fact.department, fact.appointment_type
                self.room_id, self.encounter_id = fact.room_id, fact.encounter_id
                self.patient, self.appointment_id = fact.patient, fact.appointment_id
                self.checklist_done: set[str] = set()
                self.confirmed = False
                self.reminders_sent: set[int] = set()
            case AppointmentModified():
                self.appointment_type = fact.appointment_type or self.appointment_type
                self.room_id = fact.room_id if fact.room_id is not None else self.room_id
            case PreOpItemCompleted():
                self.checklist_done.add(fact.item)
            case AppointmentConfirmed():
                self.confirmed = True
            case InsuranceRecheckNeeded():
                self.insurance, self.insurance_note = "recheck", fact.reason
            case ReminderSent():
                self.reminders_sent.add(fact.lead_minutes)
            case AppointmentRescheduled():
                self.provider_id, self.start, self.end = fact.provider_id, fact.start, fact.end
                # A new day needs a new confirmation and new reminders.
                self.confirmed = False
                self.reminders_sent = set()
            case AppointmentCancelled():
                self.status = "cancelled"
            case PatientCheckedIn():
                self.status = "checked-in"
            case AppointmentNoShow():
                self.status = "noshow"
            case AppointmentCompleted():
                self.status = "fulfilled"
            case InsuranceVerificationRequested():
                self.insurance, self.coverage, self.insurance_note = "requested", fact.coverage, ""
            case InsuranceVerified():
                self.insurance, self.insurance_note = "verified", fact.reference
            case InsuranceVerificationFailed():
                self.insurance, self.insurance_note = "failed", fact.reason
