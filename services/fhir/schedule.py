"""A working schedule as a FHIR R4 Schedule.

A provider's Schedule has the provider id as its id, so the `Schedule/<provider>`
references that Slot emits resolve; rooms and departments are `room.<id>` and
`department.<id>`. The working week itself has no FHIR element: it is the
comment, and free time is what Slot searches answer.
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.schedule import Schedule as FhirSchedule

from events.catalogue import ScheduleDefined
from services.access.availability import ResourceSchedule
from services.access.schedule_commands import schedule_aggregate_id
from services.fhir.history import history, instant, narrative

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OTHER_KINDS = ("room", "department")
APPOINTMENT_TYPE_SYSTEM = "urn:edflow:appointment-type"


def schedule_fhir_id(kind: str, resource_id: str) -> str:
    return resource_id if kind == "provider" else f"{kind}.{resource_id}"


def kind_of(schedule_id: str) -> tuple[str, str]:
    kind, _, rest = schedule_id.partition(".")
    return (kind, rest) if kind in OTHER_KINDS and rest else ("provider", schedule_id)


def schedule_resource(hospital, facility_id: str, schedule_id: str) -> dict:
    kind, resource_id = kind_of(schedule_id)
    aggregate_id = schedule_aggregate_id(facility_id, kind, resource_id)
    return schedule_by_aggregate(hospital, facility_id, aggregate_id, f"Schedule/{schedule_id}")


def schedule_by_aggregate(hospital, facility_id: str, aggregate_id: uuid.UUID, what: str = "Schedule") -> dict:
    schedule, recorded = history(hospital, aggregate_id, ResourceSchedule, facility_id, what)
    defined_at = next(r.at for r in reversed(recorded) if isinstance(r.fact, ScheduleDefined))
    hours = "; ".join(
        f"{DAYS[h.weekday]} {h.start:%H:%M}-{h.end:%H:%M}"
        for h in sorted(schedule.hours, key=lambda h: (h.weekday, h.start))
    )
    comment = f"Working hours ({schedule.tz.key}): {hours or 'none'}"
    if schedule.holidays:
        comment += "; holidays: " + ", ".join(f"{d.isoformat()} {n}" for d, n in sorted(schedule.holidays.items()))
    if schedule.kind == "provider":
        actor = {"reference": f"Practitioner/{schedule.resource_id}", "display": schedule.resource_id}
    else:
        actor = {"display": f"{schedule.kind} {schedule.resource_id}"}
    resource = {
        "resourceType": "Schedule",
        "id": schedule_fhir_id(schedule.kind, schedule.resource_id),
        "text": narrative(f"Schedule of {schedule.kind} {schedule.resource_id} ({schedule.department}). {comment}"),
        "identifier": [
            {
                "use": "usual",
                "system": f"urn:edflow:{facility_id}:schedule",
                "value": f"{schedule.kind}/{schedule.resource_id}",
            }
        ],
        "active": True,
        "serviceCategory": [{"text": schedule.department}],
        "serviceType": [
            {"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": kind}], "text": f"{kind}: {minutes} min slots"}
            for kind, minutes in sorted(schedule.slot_lengths.items())
        ]
        or None,
        "actor": [actor],
        # The working week repeats until it is redefined: the horizon is open-ended.
        "planningHorizon": {"start": instant(defined_at)},
        "comment": comment,
    }
    return FhirSchedule.model_validate(resource).model_dump(mode="json", exclude_none=True)
