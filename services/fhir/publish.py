"""Free time published in the SMART Scheduling Links format: the Location,
Schedule and Slot resources behind `GET /fhir/R4/{facility}/$bulk-publish`.

What is published is what a public directory may show and nothing more: the
clinics (one Location per department whose providers have a working
schedule), each provider's Schedule (its appointment types and clinic), and
the free Slots of the next HORIZON_DAYS days, derived from the same
availability the FHIR Slot search answers from, so a booked slot is gone
from the next fetch. No Appointment, patient, block reason or busy time is
in them. Only providers are published: a booking over FHIR names a
Practitioner, and a room's free time is not a separate offer.

The facility file (when it describes this facility) gives the names of the
departments and providers, and its `[booking]` table the portal, phone and
address: each Slot then carries the SMART `booking-deep-link` (the portal
with `?slot=<Slot id>`) and `booking-phone` extensions.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.schedule import Schedule as FhirSchedule

from base.facility import Facility
from base.input_bounds import BOOKING_HORIZON, TimeWindow
from services.access.availability import DEFAULT_SLOT_MINUTES, ResourceSchedule
from services.errors import Invalid
from services.fhir.history import instant, narrative
from services.fhir.index import SearchIndex
from services.fhir.schedule import APPOINTMENT_TYPE_SYSTEM, schedule_fhir_id
from services.fhir.slot import DEFAULT_TYPE, Cell, grid_cells

HORIZON_DAYS = 14
KINDS = ("Location", "Schedule", "Slot")
SMART = "http://fhir-registry.smarthealthit.org/StructureDefinition/"
DEEP_LINK, BOOKING_PHONE = SMART + "booking-deep-link", SMART + "booking-phone"
PLAIN_ID = re.compile(r"[A-Za-z0-9\-.]{1,57}")


class Published(NamedTuple):
    """One facility's published files (NDJSON, one resource a line) and their digest."""

    files: dict[str, bytes]
    digest: str


def clinic_id(department: str) -> str:
    """The published Location of a department (not a bed's Location)."""
    if PLAIN_ID.fullmatch(department):
        return f"clinic.{department}"
    return "clinic." + hashlib.sha256(department.encode()).hexdigest()[:32]


def deep_link(portal: str, slot_id: str) -> str:
    parts = urlsplit(portal)
    query = "&".join(q for q in (parts.query, urlencode({"slot": slot_id})) if q)
    return urlunsplit(parts._replace(query=query))


def _service_types(schedule: ResourceSchedule) -> list[dict[str, Any]]:
    lengths = schedule.slot_lengths or {DEFAULT_TYPE: DEFAULT_SLOT_MINUTES}
    return [
        {"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": kind}], "text": f"{kind}: {minutes} min"}
        for kind, minutes in sorted(lengths.items())
    ]


class Directory:
    """Names and booking details from the facility file, when it describes this facility."""

    def __init__(self, facility_id: str, facility: Facility | None):
        self.facility_id = facility_id
        self.file = facility if facility is not None and facility.id == facility_id else None
        file = self.file
        self.departments = {d.id: d.name for d in file.departments} if file else {}
        self.providers = {p.id: p.name for p in file.providers} if file else {}
        self.title = file.name if file else facility_id

    def location(self, department: str) -> dict:
        name = self.departments.get(department, department)
        resource: dict[str, Any] = {
            "resourceType": "Location",
            "id": clinic_id(department),
            "text": narrative(f"{name}, {self.title}: where its providers' free time is booked"),
            "identifier": [{"system": f"urn:edflow:{self.facility_id}:department", "value": department}],
            "status": "active",
            "name": f"{name}, {self.title}",
            "mode": "instance",
        }
        if self.file is not None:
            booking = self.file.booking
            telecom = [{"system": "phone", "value": booking.phone}] if booking.phone else []
            telecom += [{"system": "url", "value": booking.url}] if booking.url else []
            address = {"line": booking.address_lines or None, "city": booking.city or None,
                       "state": booking.state or None, "postalCode": booking.postal_code or None}  # fmt: skip
            resource["telecom"] = telecom or None
            resource["address"] = {k: v for k, v in address.items() if v} or None
        return FhirLocation.model_validate(resource).model_dump(mode="json", exclude_none=True)

    def schedule(self, schedule: ResourceSchedule) -> dict:
        who = self.providers.get(schedule.resource_id, schedule.resource_id)
        clinic = self.departments.get(schedule.department, schedule.department)
        resource = {
            "resourceType": "Schedule",
            "id": schedule_fhir_id(schedule.kind, schedule.resource_id),
            "text": narrative(f"Free time of {who}, {clinic}"),
            "active": True,
            "serviceType": _service_types(schedule),
            "actor": [{"reference": f"Location/{clinic_id(schedule.department)}", "display": clinic}],
            "comment": f"{who}, {clinic}",
        }
        return FhirSchedule.model_validate(resource).model_dump(mode="json", exclude_none=True)

    def slot(self, cell: Cell) -> dict:
        """A free Slot, lean: schedule, time, type and how to book it."""
        resource: dict[str, Any] = {
            "resourceType": "Slot",
            "id": cell.id,
            "schedule": {"reference": f"Schedule/{cell.schedule_id}"},
            "status": "free",
            "start": instant(cell.start),
            "end": instant(cell.end),
            "serviceType": [{"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": cell.appointment_type}]}],
        }
        booking = self.file.booking if self.file is not None else None
        extension = []
        if booking is not None and booking.url:
            extension.append({"url": DEEP_LINK, "valueUrl": deep_link(booking.url, cell.id)})
        if booking is not None and booking.phone:
            extension.append({"url": BOOKING_PHONE, "valueString": booking.phone})
        if extension:
            resource["extension"] = extension
        return resource


def published_schedules(hospital, index: SearchIndex, facility_id: str) -> list[ResourceSchedule]:
    """The facility's providers' schedules, in the order they were defined."""
    found = []
    for listed in index.listed(facility_id, ResourceSchedule):
        schedule = hospital.find(ResourceSchedule, listed.id)
        if schedule is not None and schedule.kind == "provider" and schedule.facility_id == facility_id:
            found.append(schedule)
    return found


def free_cells(hospital, facility_id: str, schedule: ResourceSchedule, now: datetime) -> list[Cell]:
    """The schedule's free slots starting from now to the end of its
    HORIZON_DAYS-th local day (inside the days availability answers)."""
    window = TimeWindow.of(hospital.settings)
    first = max(now.astimezone(schedule.tz).date(), window.history_start)
    last = min(first + timedelta(days=HORIZON_DAYS - 1), (now + BOOKING_HORIZON - timedelta(hours=12)).date())
    schedule_id = schedule_fhir_id(schedule.kind, schedule.resource_id)
    cells: list[Cell] = []
    for kind in sorted(schedule.slot_lengths) or [DEFAULT_TYPE]:
        try:
            found = grid_cells(hospital, facility_id, schedule_id, first, last, kind)
        except Invalid:  # days outside what availability answers: nothing to publish
            continue
        cells.extend(c for c in found if c.status == "free" and c.start >= now)
    return cells


def publish(
    hospital, index: SearchIndex, facility_id: str, facility: Facility | None, now: datetime
) -> Published | None:
    """The three files of the facility as of `now`; None when it has no
    provider schedule (nothing is published: the facility is unknown here)."""
    directory = Directory(facility_id, facility)
    schedules = published_schedules(hospital, index, facility_id)
    if not schedules:
        return None
    departments = sorted({s.department for s in schedules})
    cells = [c for s in schedules for c in free_cells(hospital, facility_id, s, now)]
    cells.sort(key=lambda c: (c.start, c.schedule_id, c.appointment_type or ""))
    resources = {
        "Location": [directory.location(d) for d in departments],
        "Schedule": [directory.schedule(s) for s in sorted(schedules, key=lambda s: s.resource_id)],
        "Slot": [directory.slot(c) for c in cells],
    }
    files = {
        kind: b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in found)
        for kind, found in resources.items()
    }
    digest = hashlib.sha256(b"\0".join(files[k] for k in KINDS)).hexdigest()
    return Published(files, digest)
