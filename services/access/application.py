"""Patient-access commands: booking, rescheduling, check-in, insurance."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from events.catalogue import AppointmentBooked, AppointmentType, Coverage, Person, ProviderTimeReserved
from services.access.domainmodel import Appointment, ProviderDay, check_interval
from services.application import HospitalBase, Outcome, derived_id
from services.errors import AlreadyExists, Invalid
from services.recording import Meta

MAX_APPOINTMENT = timedelta(hours=24)


def appointment_aggregate_id(facility_id: str, appointment_id: str) -> uuid.UUID:
    return derived_id("appointment", facility_id, appointment_id)


def provider_day_id(facility_id: str, provider_id: str, day: str) -> uuid.UUID:
    return derived_id("provider-day", facility_id, provider_id, day)


def days_touched(start: datetime, end: datetime) -> list[str]:
    first = start.astimezone(timezone.utc).date()
    last = (end - timedelta(microseconds=1)).astimezone(timezone.utc).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


class AccessCommands(HospitalBase):
    def appointment(self, facility_id: str, appointment_id: str) -> Appointment:
        aggregate_id = appointment_aggregate_id(facility_id, appointment_id)
        return self.load(Appointment, aggregate_id, facility_id, f"appointment {appointment_id}")

    def _reserve(
        self, meta: Meta, provider_id: str, appointment_id: str, start: datetime, end: datetime, loaded: dict | None = None
    ) -> list:
        """Reserve [start, end) on every provider day it touches; raises SlotAlreadyBooked.
        `loaded` holds calendars this decision already changed, so each is saved once."""
        loaded = {} if loaded is None else loaded
        check_interval(start, end)
        if end - start > MAX_APPOINTMENT:
            raise Invalid("an appointment lasts at most 24 hours", field="end")
        days = []
        for day in days_touched(start, end):
            day_id = provider_day_id(meta.facility_id, provider_id, day)
            calendar = loaded.get(day_id) or self.find(ProviderDay, day_id)
            if calendar is None:
                fact = ProviderTimeReserved(appointment_id=appointment_id, start=start, end=end)
                calendar = ProviderDay.open_with(day_id, fact, meta)
            else:
                calendar.reserve(appointment_id, start, end, meta)
            loaded[day_id] = calendar
            days.append(calendar)
        return days

    def _release(self, meta: Meta, appointment: Appointment, appointment_id: str) -> list:
        days = []
        for day in days_touched(appointment.start, appointment.end):
            calendar = self.find(ProviderDay, provider_day_id(meta.facility_id, appointment.provider_id, day))
            if calendar is not None:
                calendar.release(appointment_id, meta)
                days.append(calendar)
        return days

    def book(
        self,
        meta: Meta,
        patient: Person,
        provider_id: str,
        department: str,
        appointment_type: AppointmentType,
        start: datetime,
        end: datetime,
        appointment_id: str | None = None,
        reason: str = "",
        encounter_id: str | None = None,
        **idem: Any,
    ) -> Outcome:
        appointment_id = appointment_id or str(uuid.uuid4())
        aggregate_id = appointment_aggregate_id(meta.facility_id, appointment_id)

        def decide():
            if self.find(Appointment, aggregate_id) is not None:
                raise AlreadyExists(f"appointment {appointment_id} already exists", appointment_id=appointment_id)
            days = self._reserve(meta, provider_id, appointment_id, start, end)
            fact = AppointmentBooked(
                patient=patient,
                provider_id=provider_id,
                department=department,
                appointment_type=appointment_type,
                start=start,
                end=end,
                reason=reason,
                encounter_id=encounter_id,
            )
            return appointment_id, [Appointment.book(aggregate_id, fact, meta), *days]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def reschedule(
        self, meta: Meta, appointment_id: str, start: datetime, end: datetime, provider_id: str | None = None, **idem: Any
    ) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            released = self._release(meta, appointment, appointment_id)
            new_provider = provider_id or appointment.provider_id
            loaded = {calendar.id: calendar for calendar in released}
            reserved = self._reserve(meta, new_provider, appointment_id, start, end, loaded)
            appointment.reschedule(new_provider, start, end, meta)
            # A day both released and reserved is one object: save it once.
            touched = {a.id: a for a in [appointment, *released, *reserved]}
            return appointment_id, list(touched.values())

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def cancel_appointment(self, meta: Meta, appointment_id: str, reason: str, **idem: Any) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            appointment.cancel(reason, meta)
            return appointment_id, [appointment, *self._release(meta, appointment, appointment_id)]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _appointment_command(self, meta: Meta, appointment_id: str, action: str, *args: Any, **idem: Any) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            getattr(appointment, action)(*args, meta)
            return appointment_id, [appointment]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def check_in(self, meta: Meta, appointment_id: str, **idem: Any) -> Outcome:
        return self._appointment_command(meta, appointment_id, "check_in", **idem)

    def mark_no_show(self, meta: Meta, appointment_id: str, **idem: Any) -> Outcome:
        return self._appointment_command(meta, appointment_id, "no_show", **idem)

    def complete_appointment(self, meta: Meta, appointment_id: str, **idem: Any) -> Outcome:
        return self._appointment_command(meta, appointment_id, "complete", **idem)

    def request_verification(self, meta: Meta, appointment_id: str, coverage: Coverage, **idem: Any) -> Outcome:
        return self._appointment_command(meta, appointment_id, "request_verification", coverage, **idem)

    def record_verification(
        self, meta: Meta, appointment_id: str, verified: bool, detail: str = "", **idem: Any
    ) -> Outcome:
        return self._appointment_command(meta, appointment_id, "record_verification", verified, detail, **idem)
