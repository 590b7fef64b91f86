"""Day and week grids of the scheduling desk: for each row (a provider or a
room) its slots, its holidays and its blocked times over a span of days, in
one answer. A department's own schedule, when it has one, is laid over every
row of the department: its holidays and blocks (and time outside its hours)
refuse bookings, so the grid shows them as holiday or blocked, not free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.access.availability import ResourceSchedule, Slot
from services.errors import OutsideWorkingHours, TimeBlockedError


@dataclass(frozen=True)
class GridRow:
    kind: str  # "provider" or "room"
    id: str
    name: str
    department: str
    appointment_type: str  # whose slot length the row is cut in


@dataclass
class DrawnRow:
    row: GridRow
    scheduled: bool
    slots: list[dict[str, Any]] = field(default_factory=list)
    holidays: list[dict[str, str]] = field(default_factory=list)
    blocks: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "kind": r.kind,
            "id": r.id,
            "name": r.name,
            "department": r.department,
            "appointment_type": r.appointment_type,
            "scheduled": self.scheduled,
            "slots": self.slots,
            "holidays": self.holidays,
            "blocks": self.blocks,
        }


def _holidays(schedule: ResourceSchedule, first: date, last: date, source: str) -> list[dict[str, str]]:
    return [
        {"day": day.isoformat(), "name": name, "source": source}
        for day, name in sorted(schedule.holidays.items())
        if first <= day <= last
    ]


def _blocks(schedule: ResourceSchedule, start: datetime, end: datetime, source: str) -> list[dict[str, str]]:
    return [
        {"start": s.isoformat(), "end": e.isoformat(), "reason": reason, "source": source}
        for s, e, reason in sorted(schedule.blocks.values())
        if s < end and start < e
    ]


def _slot(slot: Slot, department: ResourceSchedule | None) -> dict[str, str] | None:
    """The slot as the grid shows it; None when the department is on holiday then."""
    drawn = slot.as_dict()
    if department is None or slot.status != "free":
        return drawn
    try:
        department.check_bookable(slot.start, slot.end)
    except OutsideWorkingHours:
        if slot.start.astimezone(department.tz).date() in department.holidays:
            return None
        drawn["status"] = "busy-unavailable"
    except TimeBlockedError:
        drawn["status"] = "busy-unavailable"
    return drawn


def draw_rows(
    app, facility_id: str, rows: list[GridRow], department_id: str | None, first: date, last: date
) -> list[DrawnRow]:
    """Each row's slots for local days [first, last] (bounds checked by
    `availability`), with the department's schedule laid over them."""
    department = app.resource_schedule(facility_id, "department", department_id) if department_id else None
    drawn: list[DrawnRow] = []
    for row in rows:
        schedule = app.resource_schedule(facility_id, row.kind, row.id)
        if schedule is None:
            drawn.append(DrawnRow(row, scheduled=False))
            continue
        slots = app.availability(facility_id, row.kind, row.id, first, last, row.appointment_type)
        found = DrawnRow(row, scheduled=True, holidays=_holidays(schedule, first, last, row.kind))
        found.slots = [s for s in (_slot(slot, department) for slot in slots) if s is not None]
        if slots:
            span = (slots[0].start, slots[-1].end)
            found.blocks = _blocks(schedule, *span, source=row.kind)
            if department is not None:
                found.blocks += _blocks(department, *span, source="department")
        if department is not None:
            found.holidays += _holidays(department, first, last, "department")
        drawn.append(found)
    return drawn
