"""An ED visit as a FHIR R4 Encounter: class EMER, status with its history,
and every bed it occupied with the period it was there."""

from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from events.catalogue import (
    ArrivalCancelled,
    BedAssigned,
    BedVacated,
    DischargeCancelled,
    PatientArrived,
    PatientDetailsUpdated,
    PatientDischarged,
    PatientLeftWithoutBeingSeen,
    PatientTransferred,
    PatientTriaged,
    ProviderAssigned,
)
from services.api.views import current_patient
from services.ed.application import bed_aggregate_id
from services.ed.domainmodel import Encounter
from services.errors import NotFound
from services.fhir.history import Recorded, history, instant
from services.fhir.people import subject

EMERGENCY = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER", "display": "emergency"}
DISCHARGE_CODES = {  # http://terminology.hl7.org/CodeSystem/discharge-disposition
    "home": ("home", "Home"),
    "transferred": ("other-hcf", "Other healthcare facility"),
    "left-against-advice": ("aadvice", "Left against advice"),
    "died": ("exp", "Expired"),
    "admitted": ("oth", "Other"),
}
LEAVING = (PatientDischarged, PatientLeftWithoutBeingSeen, ArrivalCancelled, BedVacated)


def status_after(fact: Any, status: str) -> str:
    if isinstance(fact, PatientArrived):
        return "arrived"
    if isinstance(fact, PatientTriaged) and status == "arrived":
        return "triaged"
    if isinstance(fact, (BedAssigned, PatientTransferred, DischargeCancelled)):
        return "in-progress"
    if isinstance(fact, (PatientDischarged, PatientLeftWithoutBeingSeen)):
        return "finished"
    if isinstance(fact, ArrivalCancelled):
        return "entered-in-error"  # the arrival was recorded in error
    return status


def status_history(recorded: list[Recorded]) -> list[dict]:
    changes: list[tuple[str, str]] = []
    status = ""
    for fact, at in recorded:
        new = status_after(fact, status)
        if new != status:
            changes.append((new, instant(at)))
            status = new
    return [
        {"status": s, "period": {"start": start, **({"end": changes[i + 1][1]} if i + 1 < len(changes) else {})}}
        for i, (s, start) in enumerate(changes)
    ]


def locations(facility_id: str, recorded: list[Recorded]) -> list[dict]:
    stays: list[dict] = []

    def close(at: str) -> None:
        if stays and stays[-1]["status"] == "active":
            stays[-1]["status"], stays[-1]["period"]["end"] = "completed", at

    for fact, moment in recorded:
        at = instant(moment)
        if isinstance(fact, (BedAssigned, PatientTransferred)):
            close(at)
            bed_id = fact.bed_id if isinstance(fact, BedAssigned) else fact.to_bed_id
            reference = {"reference": f"Location/{bed_aggregate_id(facility_id, bed_id)}", "display": bed_id}
            stays.append({"location": reference, "status": "active", "period": {"start": at}})
        elif isinstance(fact, LEAVING):
            close(at)
    return stays


def encounter_resource(hospital, facility_id: str, encounter_id: str, sees_identity: bool) -> dict:
    try:
        aggregate_id = uuid.UUID(encounter_id)
    except ValueError:
        raise NotFound(f"Encounter/{encounter_id} not found") from None
    encounter, recorded = history(hospital, aggregate_id, Encounter, facility_id, f"Encounter/{encounter_id}")
    facts = [r.fact for r in recorded]
    statuses = status_history(recorded)
    period = {"start": instant(encounter.arrived_at)}
    if statuses[-1]["status"] in ("finished", "entered-in-error"):
        period["end"] = statuses[-1]["period"]["start"]
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.id),
        # The visit number is identity: only for roles that see identity.
        "identifier": [
            {"use": "usual", "system": f"urn:edflow:{facility_id}:visit-number", "value": encounter.visit_number}
        ]
        if sees_identity
        else None,
        "status": statuses[-1]["status"],
        "statusHistory": statuses,
        "class": EMERGENCY,
        "subject": subject(current_patient(facts), sees_identity),
        "period": period,
        "location": locations(facility_id, recorded),
    }
    complaint = next(
        (f.chief_complaint for f in reversed(facts) if isinstance(f, PatientDetailsUpdated) and f.chief_complaint), None
    )
    complaint = complaint or facts[0].chief_complaint
    if complaint:
        resource["reasonCode"] = [{"text": complaint}]
    if encounter.esi is not None:
        resource["priority"] = {"text": f"ESI {encounter.esi}"}
    providers = [f.provider_id for f in facts if isinstance(f, ProviderAssigned)]
    if providers:
        resource["participant"] = [
            {"individual": {"identifier": {"value": p}, "display": p}} for p in dict.fromkeys(providers)
        ]
    if encounter.disposition is not None:
        code, display = DISCHARGE_CODES[encounter.disposition]
        coding = {
            "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
            "code": code,
            "display": display,
        }
        resource["hospitalization"] = {"dischargeDisposition": {"coding": [coding], "text": encounter.disposition}}
    return FhirEncounter.model_validate(resource).model_dump(mode="json", exclude_none=True)
