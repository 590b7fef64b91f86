"""Working schedules of providers, rooms and departments, and the slots they give.

A `ResourceSchedule` holds one resource's working week (in its own time
zone), slot lengths per appointment type, blocked times and holidays. Slots
are derived, never stored: working hours minus holidays, blocks and reserved
time. Status follows FHIR Slot: free, busy (booked), busy-unavailable
(blocked or a holiday), busy-tentative (offered to a waiting patient).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.catalogue import (
    Fact,
    HolidayDeclared,
    ScheduleDefined,
    TimeBlocked,
    TimeUnblocked,
    WorkingHours,
)
from services.errors import AlreadyExists, Invalid, NotFound, OutsideWorkingHours, TimeBlockedError
from services.recording import FlowAggregate, Meta

SlotStatus = Literal["free", "busy", "busy-unavailable", "busy-tentative"]
DEFAULT_SLOT_MINUTES = 30
Interval = tuple[datetime, datetime]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r}", field="time_zone") from None


def check_schedule(fact: ScheduleDefined) -> None:
    zone(fact.time_zone)
    for hours in fact.hours:
        if not 0 <= hours.weekday <= 6:
            raise Invalid("weekday is 0 (Monday) to 6 (Sunday)", field="hours")
        if hours.end <= hours.start:
            raise Invalid("working hours end after they start", field="hours")
    for length in fact.slot_lengths:
        if not 5 <= length.minutes <= 24 * 60:
            raise Invalid("a slot lasts 5 minutes to 24 hours", field="slot_lengths")


class ResourceSchedule(FlowAggregate):
    TOPIC = "edflow:ResourceSchedule"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:ResourceSchedule.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:ResourceSchedule.Recorded"

    @classmethod
    def define(cls, aggregate_id, fact: ScheduleDefined, meta: Meta) -> ResourceSchedule:
        check_schedule(fact)
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def redefine(self, fact: ScheduleDefined, meta: Meta) -> None:
        check_schedule(fact)
        self._record(fact, meta)

    def block(self, block_id: str, start: datetime, end: datetime, reason: str, meta: Meta) -> None:
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise Invalid("a block needs start before end, both with a time zone offset", field="end")
        if block_id in self.blocks:
            raise AlreadyExists(f"block {block_id} already exists", block_id=block_id)
        self._record(TimeBlocked(block_id=block_id, start=start, end=end, reason=reason), meta)

    def unblock(self, block_id: str, meta: Meta) -> None:
        if block_id not in self.blocks:
            raise NotFound(f"block {block_id} not found")
        self._record(TimeUnblocked(block_id=block_id), meta)

    def declare_holiday(self, day: date, name: str, meta: Meta) -> None:
        if day in self.holidays:
            raise AlreadyExists(f"{day.isoformat()} is already a holiday", day=day.isoformat())
        self._record(HolidayDeclared(day=day, name=name), meta)

    # --- questions the booking rules ask ------------------------------------

    def check_bookable(self, start: datetime, end: datetime) -> None:
        """Refuses time outside working hours, on a holiday or in a block."""
        what = f"{self.kind} {self.resource_id}"
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        if local_start.date() in self.holidays:
            raise OutsideWorkingHours(
                f"{local_start.date().isoformat()} is a holiday for {what} ({self.holidays[local_start.date()]})"
            )
        if not any(s <= start and end <= e for s, e in self.working_intervals(local_start.date())):
            raise OutsideWorkingHours(
                f"{what} does not work from {local_start.isoformat()} to {local_end.isoformat()}",
                resource=self.resource_id,
            )
        for block_id, (s, e, reason) in self.blocks.items():
            if s < end and start < e:
                raise TimeBlockedError(
                    f"{what} is blocked from {s.isoformat()} to {e.isoformat()}: {reason}", block_id=block_id
                )

    def working_intervals(self, day: date) -> list[Interval]:
        """This local day's working hours as aware datetimes (DST-safe)."""
        if day in self.holidays:
            return []
        return [
            (_at(day, h.start, self.tz), _at(day, h.end, self.tz)) for h in self.hours if h.weekday == day.weekday()
        ]

    def slot_minutes(self, appointment_type: str) -> int:
        return self.slot_lengths.get(appointment_type, DEFAULT_SLOT_MINUTES)

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case ScheduleDefined():
                if not hasattr(self, "blocks"):
                    self.blocks: dict[str, tuple[datetime, datetime, str]] = {}
                    self.holidays: dict[date, str] = {}
                self.kind, self.resource_id, self.department = fact.resource_kind, fact.resource_id, fact.department
                self.tz = ZoneInfo(fact.time_zone)
                self.hours: tuple[WorkingHours, ...] = fact.hours
                self.slot_lengths: dict[str, int] = {s.appointment_type: s.minutes for s in fact.slot_lengths}
            case TimeBlocked():
                self.blocks[fact.block_id] = (fact.start, fact.end, fact.reason)
            case TimeUnblocked():
                self.blocks.pop(fact.block_id, None)
            case HolidayDeclared():
                self.holidays[fact.day] = fact.name


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    status: SlotStatus

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "status": self.status}


def _overlaps(start: datetime, end: datetime, intervals: Iterable[Interval]) -> bool:
    return any(s < end and start < e for s, e in intervals)


def derive_slots(
    schedule: ResourceSchedule,
    first_day: date,
    last_day: date,
    appointment_type: str,
    reserved: Iterable[Interval] = (),
    tentative: Iterable[Interval] = (),
) -> list[Slot]:
    """Slots of one appointment type for local days [first_day, last_day].
    Holidays yield no working time, hence no slots; blocks win over bookings."""
    length = timedelta(minutes=schedule.slot_minutes(appointment_type))
    reserved, tentative = list(reserved), list(tentative)
    blocked = [(s, e) for s, e, _ in schedule.blocks.values()]
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        for begin, finish in sorted(schedule.working_intervals(day)):
            start = begin
            while start + length <= finish:
                end = start + length
                if _overlaps(start, end, blocked):
                    status: SlotStatus = "busy-unavailable"
                elif _overlaps(start, end, reserved):
                    status = "busy"
                elif _overlaps(start, end, tentative):
                    status = "busy-tentative"
                else:
                    status = "free"
                slots.append(Slot(start, end, status))
                start = end
        day += timedelta(days=1)
    return slots
