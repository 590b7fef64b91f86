"""An appointment as a FHIR R4 Appointment."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from services.access.domainmodel import Appointment
from services.access.ids import appointment_aggregate_id
from services.api.views import current_patient
from services.fhir.history import history, instant
from services.fhir.people import subject

ATTENDER = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "ATND"}]}
FHIR_STATUS = {"booked": "booked", "checked-in": "checked-in", "fulfilled": "fulfilled", "cancelled": "cancelled",
               "noshow": "noshow"}  # fmt: skip
# Our appointment type -> HL7 table 0276 (appointment reason codes).
REASON_0276 = {
    "ed-follow-up": "FOLLOWUP",
    "outpatient-visit": "ROUTINE",
    "outpatient-procedure": "ROUTINE",
    "surgical-case": "ROUTINE",
}


def appointment_resource(hospital, facility_id: str, appointment_id: str, sees_identity: bool) -> dict:
    aggregate_id = appointment_aggregate_id(facility_id, appointment_id)
    appointment, recorded = history(hospital, aggregate_id, Appointment, facility_id, f"Appointment {appointment_id}")
    facts = [r.fact for r in recorded]
    booked = facts[0]
    kind = booked.appointment_type
    minutes = int((appointment.end - appointment.start).total_seconds() // 60)
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": appointment_id,
        "identifier": [{"system": f"urn:edflow:{facility_id}:appointment", "value": appointment_id}],
        "status": FHIR_STATUS.get(appointment.status, appointment.status),
        "appointmentType": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": REASON_0276[kind]}],
            "text": kind,
        },
        "description": booked.reason or None,
        "start": instant(appointment.start),
        "end": instant(appointment.end),
        # A positiveInt in FHIR: left out for an appointment shorter than a
        # minute (booked before appointment lengths were bounded).
        "minutesDuration": minutes if minutes >= 1 else None,
        "created": instant(recorded[0].at),
        "participant": [
            {"actor": subject(current_patient(facts), sees_identity), "required": "required", "status": "accepted"},
            {
                "type": [ATTENDER],
                "actor": {"identifier": {"value": appointment.provider_id}, "display": appointment.provider_id},
                "required": "required",
                "status": "accepted",
            },
            {"actor": {"display": booked.department}, "required": "information-only", "status": "accepted"},
        ],
    }
    if appointment.room_id:
        resource["participant"].append(
            {"actor": {"display": appointment.room_id}, "required": "required", "status": "accepted"}
        )
    return FhirAppointment.model_validate(resource).model_dump(mode="json", exclude_none=True)
