"""What the scheduler's page draws with: the facility's scheduling directory
(departments, providers, rooms, appointment types from the facility file) and the
appointments of a span of days, from the work-queue read model."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from base.facility import Facility, load_facility
from base.input_bounds import TimeWindow, local_day
from events.catalogue import missing_items
from events.work_queue import QueueAppointment
from services.access.schedule_commands import MAX_QUERY_DAYS
from services.api.deps import ReadAccess, Reader
from services.api.one_hop import OneHopRoute
from services.api.query_types import IsoDate
from services.api.replies import ERROR_RESPONSES
from services.api.scheduling_reports import queue_reader
from services.bounds import refused_as_invalid
from services.errors import Invalid, NotFound

router = APIRouter(tags=["scheduling"], responses=ERROR_RESPONSES, route_class=OneHopRoute)


@lru_cache(maxsize=8)
def _facility_file(path: Path) -> Facility:
    return load_facility(path)


def facility_file(request: Request, reader: ReadAccess) -> Facility:
    """The facility file this server was started with; 404 for another facility."""
    facility = _facility_file(request.app.state.settings.facility_config)
    if facility.id != reader.facility_id:
        raise NotFound(f"the facility file describes {facility.id!r}, not {reader.facility_id!r}")
    return facility


@router.get("/scheduling/directory", name="scheduling.directory")
def directory(request: Request, reader: Reader) -> dict:
    """Departments, the providers of each and the appointment types they take
    (with their slot minutes), as the facility file describes them."""
    facility = facility_file(request, reader)
    return {
        "facility": {"id": facility.id, "name": facility.name, "time_zone": facility.timezone},
        # Whether insurance can be asked of the payer from the page (EDFLOW_ELIGIBILITY_URL).
        "payer_link": request.app.state.payer is not None,
        "departments": [{"id": d.id, "name": d.name} for d in facility.departments],
        "providers": [{"id": p.id, "name": p.name, "department": p.department} for p in facility.providers],
        "rooms": [{"id": r.id, "name": r.name, "department": r.department} for r in facility.rooms],
        "appointment_types": [
            {"type": k.type, "department": k.department, "minutes": k.minutes} for k in facility.appointment_types
        ],
    }


@router.get("/scheduling/calendar", name="scheduling.calendar")
def calendar(
    request: Request,
    reader: Reader,
    first: Annotated[IsoDate, Query(alias="from", description="first local day")],
    last: Annotated[
        IsoDate | None,
        Query(
            alias="to", description=f"last local day (default: from); not before from, at most {MAX_QUERY_DAYS} days"
        ),
    ] = None,
) -> dict:
    """The appointments (not cancelled) starting on the local days [from, to]:
    who with, when, status, insurance, confirmation and open checklist items."""
    last = check_span(request, first, last)
    found = appointments_between(request, reader, first, last)
    reader.disclosed([f"Appointment/{a.appointment_id}" for a in found])
    return {"from": first.isoformat(), "to": last.isoformat(), "appointments": [item(a) for a in found]}


def check_span(request: Request, first: date, last: date | None) -> date:
    """The last day of [from, to] (default: from); 422 when the span is backwards,
    too long, or outside the facility's time window."""
    last = last or first
    if last < first:
        raise Invalid("to is before from", field="to")
    if (last - first).days >= MAX_QUERY_DAYS:
        raise Invalid(f"ask for at most {MAX_QUERY_DAYS} days at a time", field="to")
    window = TimeWindow.of(request.app.state.settings)
    with refused_as_invalid("from"):
        window.check_day(first, "from")
        window.check_day(last, "to")
    return last


def appointments_between(request: Request, reader: ReadAccess, first: date, last: date) -> list[QueueAppointment]:
    """The appointments (not cancelled) starting on the local days [first, last], in time order."""
    tz = ZoneInfo(request.app.state.settings.facility_timezone)
    found = [
        e
        for e in queue_reader(request).entries(reader.facility_id)
        if isinstance(e, QueueAppointment)
        and e.status != "cancelled"
        and first - timedelta(days=1) <= e.start.date() <= last + timedelta(days=1)
        and first <= local_day(e.start, tz) <= last
    ]
    return sorted(found, key=lambda a: (a.start, a.appointment_id))


def item(a: QueueAppointment) -> dict[str, Any]:
    return {
        "appointment_id": a.appointment_id,
        "department": a.department,
        "provider_id": a.provider_id,
        "appointment_type": a.appointment_type,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "status": a.status,
        "insurance": a.insurance,
        "confirmed": a.confirmed,
        "initials": a.initials,
        "room_id": a.room_id,
        "missing": missing_items(a.appointment_type, set(a.checklist_done)),
    }
