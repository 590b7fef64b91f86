"""The scheduling desk's grids in one read: a provider, a room, or every
provider of a department, over a span of days: each row's slots (FHIR Slot
statuses), holidays and blocked times, with the appointments the rows hold.
An audited read like the calendar: every appointment returned is disclosed."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from base.facility import Facility
from events.catalogue import AppointmentType
from services.access.grids import GridRow, draw_rows
from services.access.schedule_commands import MAX_QUERY_DAYS
from services.api.deps import Reader
from services.api.one_hop import OneHopRoute
from services.api.query_types import IsoDate
from services.api.replies import ERROR_RESPONSES
from services.api.scheduling import ResourceId
from services.api.scheduling_directory import appointments_between, check_span, facility_file, item
from services.errors import NotFound

router = APIRouter(tags=["scheduling"], responses=ERROR_RESPONSES, route_class=OneHopRoute)
GridKind = Literal["provider", "room", "department"]
SlotStatus = Literal["free", "busy", "busy-unavailable", "busy-tentative"]


class GridSlot(BaseModel):
    start: str = Field(description="ISO 8601 instant")
    end: str
    status: SlotStatus = Field(description="FHIR Slot status; busy-unavailable is blocked time")


class GridHoliday(BaseModel):
    day: str = Field(description="local day, YYYY-MM-DD: no bookable time that day")
    name: str
    source: Literal["provider", "room", "department"] = Field(description="whose schedule declares it")


class GridBlock(BaseModel):
    start: str
    end: str
    reason: str
    source: Literal["provider", "room", "department"]


class GridRowOut(BaseModel):
    kind: Literal["provider", "room"]
    id: str
    name: str
    department: str
    appointment_type: str = Field(description="the slots are as long as this type's")
    scheduled: bool = Field(description="false: no working schedule, so no slots (bookings are still listed)")
    slots: list[GridSlot]
    holidays: list[GridHoliday]
    blocks: list[GridBlock]


class GridAppointment(BaseModel):
    appointment_id: str
    department: str
    provider_id: str
    appointment_type: str
    start: str
    end: str
    status: str
    insurance: str
    confirmed: bool
    initials: str
    room_id: str | None
    missing: list[str] = Field(description="checklist items still open")


class GridOut(BaseModel):
    kind: GridKind
    id: str
    name: str
    from_: str = Field(alias="from")
    to: str
    rows: list[GridRowOut]
    appointments: list[GridAppointment]


def _rows(facility: Facility, kind: str, resource_id: str, wanted: str | None) -> tuple[str, str, list[GridRow]]:
    """(name, department, rows) of the grid; 404 for what the facility file does not list."""

    def kind_of(department: str) -> str:
        if wanted:
            return wanted
        return next((k.type for k in facility.appointment_types if k.department == department), "outpatient-visit")

    if kind == "provider":
        provider = next((p for p in facility.providers if p.id == resource_id), None)
        if provider is None:
            raise NotFound(f"no provider {resource_id} in this facility")
        row = GridRow("provider", provider.id, provider.name, provider.department, kind_of(provider.department))
        return provider.name, provider.department, [row]
    if kind == "room":
        room = next((r for r in facility.rooms if r.id == resource_id), None)
        if room is None:
            raise NotFound(f"no room {resource_id} in this facility")
        return (
            room.name,
            room.department,
            [GridRow("room", room.id, room.name, room.department, kind_of(room.department))],
        )
    department = next((d for d in facility.departments if d.id == resource_id), None)
    if department is None:
        raise NotFound(f"no department {resource_id} in this facility")
    rows = [
        GridRow("provider", p.id, p.name, p.department, kind_of(p.department))
        for p in facility.providers_in(department.id)
    ]
    return department.name, department.id, rows


@router.get(
    "/scheduling/grid/{kind}/{resource_id}",
    name="scheduling.grid",
    response_model=GridOut,
    response_model_by_alias=True,
)
def grid(
    request: Request,
    reader: Reader,
    kind: GridKind,
    resource_id: ResourceId,
    first: Annotated[IsoDate, Query(alias="from", description="first local day")],
    last: Annotated[
        IsoDate | None,
        Query(
            alias="to", description=f"last local day (default: from); not before from, at most {MAX_QUERY_DAYS} days"
        ),
    ] = None,
    appointment_type: Annotated[
        AppointmentType | None, Query(description="cut the slots to this type's length (default: the department's)")
    ] = None,
) -> dict:
    """A day or week grid: a provider's, a room's, or every provider of a
    department (one row each). The department's own schedule, if it has one,
    is laid over its rows: its holidays and blocks show there too."""
    facility = facility_file(request, reader)
    last = check_span(request, first, last)
    name, department, rows = _rows(facility, kind, resource_id, appointment_type)
    drawn = draw_rows(reader.hospital, reader.facility_id, rows, department, first, last)
    ids = {r.id for r in rows}
    found = [
        a
        for a in appointments_between(request, reader, first, last)
        if (a.room_id in ids if kind == "room" else a.provider_id in ids)
    ]
    reader.disclosed([f"Appointment/{a.appointment_id}" for a in found])
    return {
        "kind": kind,
        "id": resource_id,
        "name": name,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "rows": [d.as_dict() for d in drawn],
        "appointments": [item(a) for a in found],
    }
