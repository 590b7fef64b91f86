"""Patient-access commands: booking, rescheduling, modifying, check-in, insurance.

Schedules and availability are in `schedule_commands`, the waitlist in
`waitlist_commands`, pre-op and reminders in `preparation_commands`, the
contact log in `contacts`; all are mixed into `AccessCommands`, which
`Hospital` composes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Unpack

import msgspec

from base.input_bounds import TimeWindow, check_birth_date
from events.catalogue import AppointmentBooked, AppointmentType, Contact, Coverage, Person
from services.access.calendars import CalendarDay, ProviderDay, RoomDay
from services.access.contacts import ContactCommands
from services.access.domainmodel import Appointment, check_interval
from services.access.ids import appointment_aggregate_id, days_touched, provider_day_id, room_day_id
from services.access.preparation_commands import PreparationCommands
from services.access.schedule_commands import ScheduleCommands
from services.access.waitlist_commands import WaitlistCommands
from services.application import HospitalBase, Idempotency, Outcome
from services.bounds import refused_as_invalid
from services.ed.domainmodel import Encounter
from services.errors import AlreadyExists, Invalid
from services.recording import Meta

MAX_APPOINTMENT = timedelta(hours=24)


CALENDARS: dict[str, tuple[type[CalendarDay], Any]] = {
    "provider": (ProviderDay, provider_day_id),
    "room": (RoomDay, room_day_id),
}


class AccessCommands(ScheduleCommands, WaitlistCommands, PreparationCommands, ContactCommands, HospitalBase):
    def appointment(self, facility_id: str, appointment_id: str) -> Appointment:
        aggregate_id = appointment_aggregate_id(facility_id, appointment_id)
        return self.load(Appointment, aggregate_id, facility_id, f"appointment {appointment_id}")

    # --- calendars ----------------------------------------------------------

    def _reserve(
        self,
        meta: Meta,
        provider_id: str,
        appointment_id: str,
        start: datetime,
        end: datetime,
        loaded: dict | None = None,
        kind: str = "provider",
    ) -> list:
        """Reserve [start, end) on every calendar day of the resource it touches,
        inside its working hours; raises SlotAlreadyBooked / OutsideWorkingHours.
        `loaded` holds calendars this decision already changed, so each is saved once."""
        loaded = {} if loaded is None else loaded
        check_interval(start, end)
        with refused_as_invalid("start"):
            TimeWindow.of(self.settings).check_appointment(start, end)
        if end - start > MAX_APPOINTMENT:
            raise Invalid("an appointment lasts at most 24 hours", field="end")
        schedule = self.resource_schedule(meta.facility_id, kind, provider_id)
        if schedule is not None:
            schedule.check_bookable(start, end)
        cls, day_id_for = CALENDARS[kind]
        days = []
        for day in days_touched(start, end):
            day_id = day_id_for(meta.facility_id, provider_id, day)
            calendar = loaded.get(day_id) or self.find(cls, day_id)
            if calendar is None:
                fact = cls.RESERVED(appointment_id=appointment_id, start=start, end=end)
                calendar = cls.open_with(day_id, fact, meta)
            else:
                calendar.reserve(appointment_id, start, end, meta)
            loaded[day_id] = calendar
            days.append(calendar)
        return days

    def _release_resource(
        self, meta: Meta, kind: str, resource_id: str, appointment_id: str, start: datetime, end: datetime, loaded: dict
    ) -> list:
        cls, day_id_for = CALENDARS[kind]
        days = []
        for day in days_touched(start, end):
            day_id = day_id_for(meta.facility_id, resource_id, day)
            calendar = loaded.get(day_id) or self.find(cls, day_id)
            if calendar is not None:
                calendar.release(appointment_id, meta)
                loaded[day_id] = calendar
                days.append(calendar)
        return days

    def _release(self, meta: Meta, appointment: Appointment, appointment_id: str, loaded: dict | None = None) -> list:
        loaded = {} if loaded is None else loaded
        days = self._release_resource(
            meta, "provider", appointment.provider_id, appointment_id, appointment.start, appointment.end, loaded
        )
        if appointment.room_id:
            days += self._release_resource(
                meta, "room", appointment.room_id, appointment_id, appointment.start, appointment.end, loaded
            )
        return days

    def _check_encounter(self, facility_id: str, encounter_id: str) -> None:
        try:
            aggregate_id = uuid.UUID(encounter_id)
        except ValueError:
            aggregate_id = None
        if aggregate_id is None or (e := self.find(Encounter, aggregate_id)) is None or e.facility_id != facility_id:
            raise Invalid(f"encounter_id {encounter_id} names no visit of this facility", field="encounter_id")

    # --- commands -----------------------------------------------------------

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
        room_id: str | None = None,
        contact: Contact | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        appointment_id = appointment_id or str(uuid.uuid4())
        fact = AppointmentBooked(
            patient=patient,
            provider_id=provider_id,
            department=department,
            appointment_type=appointment_type,
            start=start,
            end=end,
            reason=reason,
            encounter_id=encounter_id,
            room_id=room_id,
            contact=contact,
        )

        def decide():
            return appointment_id, self._book(meta, appointment_id, fact)

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _book(self, meta: Meta, appointment_id: str, fact: AppointmentBooked, loaded: dict | None = None) -> list:
        aggregate_id = appointment_aggregate_id(meta.facility_id, appointment_id)
        fact = msgspec.structs.replace(fact, appointment_id=appointment_id)
        with refused_as_invalid("patient.birth_date"):
            check_birth_date(fact.patient.birth_date, meta.occurred_at)
        if self.find(Appointment, aggregate_id) is not None:
            raise AlreadyExists(f"appointment {appointment_id} already exists", appointment_id=appointment_id)
        if fact.encounter_id is not None:
            self._check_encounter(meta.facility_id, fact.encounter_id)
        loaded = {} if loaded is None else loaded
        days = self._reserve(meta, fact.provider_id, appointment_id, fact.start, fact.end, loaded)
        department = self.resource_schedule(meta.facility_id, "department", fact.department)
        if department is not None:
            department.check_bookable(fact.start, fact.end)
        if fact.room_id:
            days += self._reserve(meta, fact.room_id, appointment_id, fact.start, fact.end, loaded, kind="room")
        return [Appointment.book(aggregate_id, fact, meta), *days]

    def reschedule(
        self,
        meta: Meta,
        appointment_id: str,
        start: datetime,
        end: datetime,
        provider_id: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        def decide():
            return appointment_id, self._move(meta, appointment_id, start, end, provider_id, {})

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _move(
        self, meta: Meta, appointment_id: str, start: datetime, end: datetime, provider_id: str | None, loaded: dict
    ) -> list:
        """Move an appointment and offer the time it frees to the waitlist."""
        appointment = self.appointment(meta.facility_id, appointment_id)
        old_provider, old_start, old_end = appointment.provider_id, appointment.start, appointment.end
        released = self._release(meta, appointment, appointment_id, loaded)
        new_provider = provider_id or appointment.provider_id
        reserved = self._reserve(meta, new_provider, appointment_id, start, end, loaded)
        if appointment.room_id:
            reserved += self._reserve(meta, appointment.room_id, appointment_id, start, end, loaded, kind="room")
        appointment.reschedule(new_provider, start, end, meta)
        offers = self._offer_freed(meta, old_provider, appointment.department, old_start, old_end, loaded)
        # A day both released and reserved is one object: save it once.
        touched = {a.id: a for a in [appointment, *released, *reserved, *offers]}
        return list(touched.values())

    def modify_appointment(
        self,
        meta: Meta,
        appointment_id: str,
        reason: str | None = None,
        appointment_type: AppointmentType | None = None,
        room_id: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """Change reason, type or room without moving the time."""

        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            old_room = appointment.room_id
            appointment.modify(meta, reason=reason, appointment_type=appointment_type, room_id=room_id)
            days: list = []
            if room_id is not None and room_id != old_room:
                loaded: dict = {}
                if old_room:
                    days += self._release_resource(
                        meta, "room", old_room, appointment_id, appointment.start, appointment.end, loaded
                    )
                days += self._reserve(
                    meta, room_id, appointment_id, appointment.start, appointment.end, loaded, kind="room"
                )
            return appointment_id, [appointment, *{d.id: d for d in days}.values()]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def cancel_appointment(self, meta: Meta, appointment_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            appointment.cancel(reason, meta)
            loaded: dict = {}
            days = self._release(meta, appointment, appointment_id, loaded)
            offers = self._offer_freed(
                meta, appointment.provider_id, appointment.department, appointment.start, appointment.end, loaded
            )
            return appointment_id, [appointment, *days, *offers]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _appointment_command(
        self, meta: Meta, appointment_id: str, act: Callable[[Appointment], None], **idem: Unpack[Idempotency]
    ) -> Outcome:
        def decide():
            appointment = self.appointment(meta.facility_id, appointment_id)
            act(appointment)
            return appointment_id, [appointment]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def check_in(self, meta: Meta, appointment_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._appointment_command(meta, appointment_id, lambda a: a.check_in(meta), **idem)

    def mark_no_show(self, meta: Meta, appointment_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._appointment_command(meta, appointment_id, lambda a: a.no_show(meta), **idem)

    def complete_appointment(self, meta: Meta, appointment_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._appointment_command(meta, appointment_id, lambda a: a.complete(meta), **idem)

    def request_verification(
        self, meta: Meta, appointment_id: str, coverage: Coverage, **idem: Unpack[Idempotency]
    ) -> Outcome:
        return self._appointment_command(meta, appointment_id, lambda a: a.request_verification(coverage, meta), **idem)

    def record_verification(
        self, meta: Meta, appointment_id: str, verified: bool, detail: str = "", **idem: Unpack[Idempotency]
    ) -> Outcome:
        return self._appointment_command(
            meta, appointment_id, lambda a: a.record_verification(verified, detail, meta), **idem
        )
