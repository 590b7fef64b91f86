"""The insurance coverage sent for verification on an appointment, as a FHIR R4
Coverage. Its id is the appointment's id: edflow keeps coverage per
appointment, not per patient, so each appointment's coverage is one resource.
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.coverage import Coverage as FhirCoverage

from services.access.domainmodel import Appointment
from services.access.ids import appointment_aggregate_id
from services.api.views import current_patient
from services.errors import NotFound
from services.fhir.history import history
from services.fhir.people import subject

CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"


def coverage_resource(hospital, facility_id: str, appointment_id: str, sees_identity: bool) -> dict:
    aggregate_id = appointment_aggregate_id(facility_id, appointment_id)
    return coverage_by_aggregate(hospital, facility_id, aggregate_id, sees_identity, f"Coverage/{appointment_id}")


def coverage_patient_mrn(hospital, facility_id: str, aggregate_id: uuid.UUID) -> str:
    _, recorded = history(hospital, aggregate_id, Appointment, facility_id, "appointment")
    return current_patient([r.fact for r in recorded]).mrn or ""


def coverage_by_aggregate(
    hospital, facility_id: str, aggregate_id: uuid.UUID, sees_identity: bool, what: str = "Coverage"
) -> dict:
    appointment, recorded = history(hospital, aggregate_id, Appointment, facility_id, what)
    coverage = appointment.coverage
    if coverage is None:  # no coverage was ever sent for verification
        raise NotFound(f"{what} not found")
    facts = [r.fact for r in recorded]
    appointment_id = facts[0].appointment_id
    period = {
        k: v.isoformat()
        for k, v in (("start", coverage.effective_from), ("end", coverage.effective_to))
        if v is not None
    }
    resource = {
        "resourceType": "Coverage",
        "id": appointment_id,
        # Coverage for a cancelled appointment no longer applies to anything edflow schedules.
        "status": "cancelled" if appointment.status == "cancelled" else "active",
        "beneficiary": subject(current_patient(facts), sees_identity),
        "period": period or None,
        "payor": [{"display": coverage.payer}],
    }
    if sees_identity:
        resource["subscriberId"] = coverage.member_id
    if coverage.plan:
        resource["class"] = [{"type": {"coding": [{"system": CLASS_SYSTEM, "code": "plan"}]}, "value": coverage.plan}]
    return FhirCoverage.model_validate(resource).model_dump(mode="json", exclude_none=True)
