"""Appointments and provider calendars.

A `ProviderDay` holds one provider's reserved intervals for one calendar day
(UTC). Booking saves the appointment and every day it touches atomically, so
two bookings racing for one slot cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentNoShow,
    AppointmentRescheduled,
    Coverage,
    Fact,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    ProviderTimeReleased,
    ProviderTimeReserved,
)
from services.errors import Invalid, InvalidTransition, SlotAlreadyBooked
from services.recording import FlowAggregate, Meta

AppointmentStatus = Literal["booked", "checked-in", "fulfilled", "cancelled", "noshow"]
InsuranceStatus = Literal["unverified", "requested", "verified", "failed"]


def check_interval(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("start and end need a time zone offset", field="start")
    if end <= start:
        raise Invalid("end must be after start", field="end")


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

    def cancel(self, reason: str, meta: Meta) -> None:
        self._check_status({"booked", "checked-in"}, "cancelled")
        self._record(AppointmentCancelled(reason=reason), meta)

    def check_in(self, meta: Meta) -> None:
        self._check_status({"booked"}, "checked in")
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
            raise InvalidTransition("no insurance verification is pending for this appointment", insurance=self.insurance)
        fact = InsuranceVerified(method=method, reference=detail) if verified else InsuranceVerificationFailed(reason=detail)
        self._record(fact, meta)

    def _check_status(self, allowed: set[str], what: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"a {self.status} appointment cannot be {what}", status=self.status)

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case AppointmentBooked():
                self.status, self.provider_id = "booked", fact.provider_id
                self.start, self.end = fact.start, fact.end
                self.insurance, self.coverage = "unverified", None
            case AppointmentRescheduled():
                self.provider_id, self.start, self.end = fact.provider_id, fact.start, fact.end
            case AppointmentCancelled():
                self.status = "cancelled"
            case PatientCheckedIn():
                self.status = "checked-in"
            case AppointmentNoShow():
                self.status = "noshow"
            case AppointmentCompleted():
                self.status = "fulfilled"
            case InsuranceVerificationRequested():
                self.insurance, self.coverage = "requested", fact.coverage
            case InsuranceVerified():
                self.insurance = "verified"
            case InsuranceVerificationFailed():
                self.insurance = "failed"


class ProviderDay(FlowAggregate):
    TOPIC = "edflow:ProviderDay"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:ProviderDay.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:ProviderDay.Recorded"


    @classmethod
    def open_with(cls, aggregate_id, fact: ProviderTimeReserved, meta: Meta) -> ProviderDay:
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def reserve(self, appointment_id: str, start: datetime, end: datetime, meta: Meta) -> None:
        self.check_free(appointment_id, start, end)
        self._record(ProviderTimeReserved(appointment_id=appointment_id, start=start, end=end), meta)

    def release(self, appointment_id: str, meta: Meta) -> None:
        if appointment_id in self.reserved:
            self._record(ProviderTimeReleased(appointment_id=appointment_id), meta)

    def check_free(self, appointment_id: str, start: datetime, end: datetime) -> None:
        for other, (s, e) in self.reserved.items():
            if other != appointment_id and s < end and start < e:
                raise SlotAlreadyBooked(
                    f"provider already has an appointment from {s.isoformat()} to {e.isoformat()}",
                    conflicting_appointment=other,
                )

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case ProviderTimeReserved():
                if not hasattr(self, "reserved"):
                    self.reserved = {}
                self.reserved[fact.appointment_id] = (fact.start, fact.end)
            case ProviderTimeReleased():
                self.reserved.pop(fact.appointment_id, None)
