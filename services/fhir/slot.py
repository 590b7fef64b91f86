"""Schedules' time as FHIR R4 Slots.

Each Slot is one cell of a schedule's grid for one appointment type, with the
status the availability API gives it (`services/access/availability.py`):
free, busy, busy-unavailable or busy-tentative. Its id is stable and says
which cell it is: `<schedule id>.<type code>.<start, UTC, YYYYMMDDTHHMMSSZ>`,
so `Slot/<id>` is answered by deriving that one cell again.

A provider who has appointments but no working schedule (bookings received
over HL7 from a system that keeps the schedule) has no grid: each booked
interval is then one busy Slot, of type code `x`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from fhir.resources.R4B.slot import Slot as FhirSlot

from services.access.calendars import ProviderDay
from services.access.ids import provider_day_id
from services.errors import Invalid, NotFound
from services.fhir.appointment import REASON_0276
from services.fhir.history import instant, narrative
from services.fhir.schedule import APPOINTMENT_TYPE_SYSTEM, kind_of

TYPE_CODES = {"ed-follow-up": "fu", "outpatient-visit": "ov", "outpatient-procedure": "op", "surgical-case": "sc"}
TYPES_BY_CODE = {code: kind for kind, code in TYPE_CODES.items()}
BOOKED_CODE = "x"  # a booked interval of a provider without a working schedule
DEFAULT_TYPE = "outpatient-visit"  # the availability API's default
SLOT_STATUSES = {"free", "busy", "busy-unavailable", "busy-tentative"}
STAMP = "%Y%m%dT%H%M%SZ"


class Cell(NamedTuple):
    """One Slot before it is a resource."""

    schedule_id: str  # the FHIR Schedule id
    appointment_type: str | None  # None for a booked interval without a schedule
    start: datetime
    end: datetime
    status: str
    comment: str | None = None

    @property
    def id(self) -> str:
        code = BOOKED_CODE if self.appointment_type is None else TYPE_CODES[self.appointment_type]
        return f"{self.schedule_id}.{code}.{self.start.astimezone(UTC):{STAMP}}"


def slot_resource(cell: Cell) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": cell.id,
        "text": narrative(
            f"{cell.status} {cell.appointment_type or 'booked'} slot of Schedule/{cell.schedule_id}, "
            f"{instant(cell.start)} to {instant(cell.end)}"
        ),
        "schedule": {"reference": f"Schedule/{cell.schedule_id}", "display": cell.schedule_id},
        "status": cell.status,
        "start": instant(cell.start),
        "end": instant(cell.end),
        "comment": cell.comment,
    }
    if cell.appointment_type is not None:
        resource["serviceType"] = [
            {
                "coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": cell.appointment_type}],
                "text": cell.appointment_type,
            }
        ]
        resource["appointmentType"] = {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": REASON_0276[cell.appointment_type]}
            ],
            "text": cell.appointment_type,
        }
    return FhirSlot.model_validate(resource).model_dump(mode="json", exclude_none=True)


def grid_cells(
    hospital, facility_id: str, schedule_id: str, first: date, last: date, appointment_type: str
) -> list[Cell]:
    """The availability API's slots of local days [first, last], as cells
    (Invalid when the days are outside what availability answers)."""
    kind, resource_id = kind_of(schedule_id)
    slots = hospital.availability(facility_id, kind, resource_id, first, last, appointment_type)
    return [Cell(schedule_id, appointment_type, s.start, s.end, s.status) for s in slots]


def booked_cells(hospital, facility_id: str, provider_id: str, first: date, last: date) -> list[Cell]:
    """A provider's booked intervals on UTC days [first, last] (no schedule)."""
    cells = []
    day = first
    while day <= last:
        calendar = hospital.find(ProviderDay, provider_day_id(facility_id, provider_id, day.isoformat()))
        if calendar is not None and calendar.facility_id == facility_id:
            for appointment_id, (start, end) in sorted(calendar.reserved.items(), key=lambda item: item[1]):
                cells.append(Cell(provider_id, None, start, end, "busy", f"Appointment/{appointment_id}"))
        day += timedelta(days=1)
    return cells


def slot_by_id(hospital, facility_id: str, slot_id: str) -> dict:
    """The cell a Slot id names, derived now (404 when it is not a cell)."""
    missing = NotFound(f"Slot/{slot_id} not found")
    schedule_id, _, rest = slot_id.rpartition(".")
    schedule_id, _, code = schedule_id.rpartition(".")
    try:
        start = datetime.strptime(rest, STAMP).replace(tzinfo=UTC)
    except ValueError:
        raise missing from None
    kind, resource_id = kind_of(schedule_id)
    schedule = hospital.resource_schedule(facility_id, kind, resource_id) if schedule_id else None
    if code == BOOKED_CODE and schedule is None and kind == "provider" and schedule_id:
        cells = booked_cells(hospital, facility_id, schedule_id, start.date(), start.date())
    elif code in TYPES_BY_CODE and schedule is not None:
        day = start.astimezone(schedule.tz).date()
        try:
            cells = grid_cells(hospital, facility_id, schedule_id, day, day, TYPES_BY_CODE[code])
        except Invalid:
            raise missing from None
    else:
        raise missing
    for cell in cells:
        if cell.start == start:
            return slot_resource(cell)
    raise missing
