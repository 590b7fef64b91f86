"""Working schedules (define, block, holiday) and the availability question."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Unpack

from base.input_bounds import TimeWindow
from events.catalogue import AppointmentType, ResourceKind, ScheduleDefined, SlotLength, WorkingHours
from services.access.availability import ResourceSchedule, Slot, derive_slots
from services.access.calendars import ProviderDay, RoomDay
from services.access.ids import provider_day_id, room_day_id
from services.access.waitlist_commands import WaitlistCommands
from services.application import Idempotency, Outcome, derived_id
from services.bounds import refused_as_invalid
from services.errors import Invalid, NotFound
from services.recording import Meta

MAX_QUERY_DAYS = 62


def schedule_aggregate_id(facility_id: str, kind: str, resource_id: str) -> uuid.UUID:
    return derived_id("schedule", facility_id, kind, resource_id)


class ScheduleCommands(WaitlistCommands):
    """Availability shows the time offered to waiting patients as tentative,
    so schedules build on the waitlist."""

    def resource_schedule(self, facility_id: str, kind: str, resource_id: str) -> ResourceSchedule | None:
        schedule = self.find(ResourceSchedule, schedule_aggregate_id(facility_id, kind, resource_id))
        return schedule if schedule is not None and schedule.facility_id == facility_id else None

    def _schedule(self, facility_id: str, kind: str, resource_id: str) -> ResourceSchedule:
        schedule = self.resource_schedule(facility_id, kind, resource_id)
        if schedule is None:
            raise NotFound(f"no schedule for {kind} {resource_id}")
        return schedule

    def define_schedule(
        self,
        meta: Meta,
        resource_kind: ResourceKind,
        resource_id: str,
        department: str,
        time_zone: str,
        hours: list[tuple[int, time, time]],
        slot_lengths: Mapping[AppointmentType, int] | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """Define (or replace) a resource's working week; hours as (weekday, start, end)."""
        fact = ScheduleDefined(
            resource_kind=resource_kind,
            resource_id=resource_id,
            department=department,
            time_zone=time_zone,
            hours=tuple(WorkingHours(weekday=d, start=s, end=e) for d, s, e in hours),
            slot_lengths=tuple(SlotLength(appointment_type=t, minutes=m) for t, m in (slot_lengths or {}).items()),
        )
        aggregate_id = schedule_aggregate_id(meta.facility_id, resource_kind, resource_id)

        def decide():
            schedule = self.resource_schedule(meta.facility_id, resource_kind, resource_id)
            if schedule is None:
                schedule = ResourceSchedule.define(aggregate_id, fact, meta)
            else:
                schedule.redefine(fact, meta)
            return str(aggregate_id), [schedule]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _schedule_command(
        self,
        meta: Meta,
        kind: str,
        resource_id: str,
        act: Callable[[ResourceSchedule], None],
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        def decide():
            schedule = self._schedule(meta.facility_id, kind, resource_id)
            act(schedule)
            return str(schedule.id), [schedule]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def block_time(
        self,
        meta: Meta,
        kind: str,
        resource_id: str,
        start: datetime,
        end: datetime,
        reason: str,
        block_id: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        block_id = block_id or str(uuid.uuid4())
        window = TimeWindow.of(self.settings)
        with refused_as_invalid("start"):
            window.check_scheduled(start, "start")
            window.check_scheduled(end, "end")
        return self._schedule_command(
            meta, kind, resource_id, lambda s: s.block(block_id, start, end, reason, meta), **idem
        )

    def unblock_time(
        self, meta: Meta, kind: str, resource_id: str, block_id: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        return self._schedule_command(meta, kind, resource_id, lambda s: s.unblock(block_id, meta), **idem)

    def declare_holiday(
        self, meta: Meta, kind: str, resource_id: str, day: date, name: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        with refused_as_invalid("day"):
            TimeWindow.of(self.settings).check_day(day, "day")
        return self._schedule_command(meta, kind, resource_id, lambda s: s.declare_holiday(day, name, meta), **idem)

    # --- the availability question ------------------------------------------

    def availability(
        self, facility_id: str, kind: str, resource_id: str, first_day: date, last_day: date, appointment_type: str
    ) -> list[Slot]:
        """Slots of a provider or room for local days [first_day, last_day]."""
        if last_day < first_day:
            raise Invalid("to is before from", field="to")
        window = TimeWindow.of(self.settings)
        with refused_as_invalid("from"):
            window.check_day(first_day, "from")
            window.check_day(last_day, "to")
        if (last_day - first_day).days >= MAX_QUERY_DAYS:
            raise Invalid(f"ask for at most {MAX_QUERY_DAYS} days at a time", field="to")
        if kind not in ("provider", "room"):
            raise Invalid("availability is per provider or room", field="kind")
        schedule = self._schedule(facility_id, kind, resource_id)
        reserved = self._reserved(
            facility_id, kind, resource_id, first_day - timedelta(days=1), last_day + timedelta(days=1)
        )
        tentative = (
            self.pending_offer_times(facility_id, resource_id, schedule.department) if kind == "provider" else []
        )
        return derive_slots(schedule, first_day, last_day, appointment_type, reserved, tentative)

    def _reserved(self, facility_id: str, kind: str, resource_id: str, first: date, last: date) -> list:
        cls, day_id = (ProviderDay, provider_day_id) if kind == "provider" else (RoomDay, room_day_id)
        intervals: list = []
        day = first
        while day <= last:
            calendar = self.find(cls, day_id(facility_id, resource_id, day.isoformat()))
            if calendar is not None and calendar.facility_id == facility_id:
                intervals.extend(calendar.reserved.values())
            day += timedelta(days=1)
        return intervals
