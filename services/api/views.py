"""Current state of one aggregate, as the read endpoints return it.

The aggregates keep only what their rules need; names, complaint, bed type
and coverage live in their facts. So a view folds the aggregate's own stored
events once: the rules' state from the aggregate, the details from the facts.
Identity is shown only to roles that need it; others get initials and age.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, TypeVar

import msgspec

from events.catalogue import (
    AppointmentBooked,
    BedRegistered,
    Fact,
    InsuranceVerificationRequested,
    PatientArrived,
    PatientDetailsUpdated,
    Person,
)
from services.access.domainmodel import Appointment
from services.access.ids import appointment_aggregate_id
from services.ed.application import bed_aggregate_id
from services.ed.domainmodel import Bed, Encounter
from services.errors import NotFound
from services.hospital import Hospital
from services.recording import FlowAggregate

F = TypeVar("F", bound=FlowAggregate)


def _fold(
    hospital: Hospital, aggregate_id: uuid.UUID, cls: type[F], facility_id: str, what: str
) -> tuple[F, list[Fact]]:
    """The aggregate and the facts it recorded, from one read of its events."""
    aggregate: FlowAggregate | None = None
    facts: list[Fact] = []
    for event in hospital.repository.event_store.get(aggregate_id):
        if not isinstance(event, (FlowAggregate.Created, FlowAggregate.Recorded)):
            raise NotFound(f"{what} not found")  # another kind of aggregate
        aggregate = event.mutate(aggregate)
        facts.append(event.fact)
    if not isinstance(aggregate, cls) or aggregate.facility_id != facility_id:
        raise NotFound(f"{what} not found")
    return aggregate, facts


def merged_patient(patient: Person, update: Person) -> Person:
    """A correction replaces only the fields it carries."""
    changes = {f: getattr(update, f) for f in update.__struct_fields__ if getattr(update, f) is not None}
    return msgspec.structs.replace(patient, **changes)


def current_patient(facts: list) -> Person:
    patient = Person()
    for fact in facts:
        if isinstance(fact, (PatientArrived, AppointmentBooked)):
            patient = fact.patient
        elif isinstance(fact, PatientDetailsUpdated) and fact.patient is not None:
            patient = merged_patient(patient, fact.patient)
    return patient


def patient_view(patient: Person, full: bool) -> dict[str, Any]:
    if full:
        return msgspec.to_builtins(patient)
    initials = "".join(f"{n[0].upper()}." for n in (patient.given_name, patient.family_name) if n)
    return {"initials": initials, "age_years": age_of(patient), "sex": patient.sex}


def age_of(patient: Person) -> int | None:
    if patient.age_years is not None:
        return patient.age_years
    if patient.birth_date is None:
        return None
    today, born = date.today(), patient.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def encounter_with_facts(hospital: Hospital, facility_id: str, encounter_id: str) -> tuple[Encounter, list]:
    try:
        aggregate_id = uuid.UUID(encounter_id)
    except ValueError:
        raise NotFound(f"visit {encounter_id} not found") from None
    return _fold(hospital, aggregate_id, Encounter, facility_id, f"visit {encounter_id}")


def encounter_view(hospital: Hospital, facility_id: str, encounter_id: str, full_identity: bool) -> dict[str, Any]:
    encounter, facts = encounter_with_facts(hospital, facility_id, encounter_id)
    arrived: PatientArrived = facts[0]
    complaint, mode = arrived.chief_complaint, arrived.arrival_mode
    for fact in facts:
        if isinstance(fact, PatientDetailsUpdated):
            complaint = fact.chief_complaint if fact.chief_complaint is not None else complaint
            mode = fact.arrival_mode or mode
    return {
        "id": str(encounter.id),
        "facility_id": facility_id,
        # The visit number finds the patient in the hospital's own systems:
        # identity, shown only to roles that see identity.
        "visit_number": encounter.visit_number if full_identity else None,
        "status": encounter.status,
        "arrived_at": encounter.arrived_at.isoformat(),
        "arrival_mode": mode,
        "chief_complaint": complaint,
        "esi": encounter.esi,
        "provider_id": encounter.provider_id,
        "nurse_id": encounter.nurse_id,
        "bed_id": encounter.bed_id,
        "admit_decided": encounter.admit_decided,
        "ventilated": encounter.ventilated,
        "disposition": encounter.disposition,
        "patient": patient_view(current_patient(facts), full_identity),
        "version": encounter.version,
    }


def bed_view(hospital: Hospital, facility_id: str, bed_id: str) -> dict[str, Any]:
    aggregate_id = bed_aggregate_id(facility_id, bed_id)
    bed, facts = _fold(hospital, aggregate_id, Bed, facility_id, f"bed {bed_id}")
    registered = next(f for f in facts if isinstance(f, BedRegistered))  # the first fact
    return {
        "bed_id": bed.bed_id,
        "facility_id": facility_id,
        "unit": bed.unit,
        "bed_type": registered.bed_type,
        "label": registered.label,
        "status": bed.status,
        "encounter_id": bed.encounter_id,
        "version": bed.version,
    }


def appointment_view(hospital: Hospital, facility_id: str, appointment_id: str, full_identity: bool) -> dict[str, Any]:
    aggregate_id = appointment_aggregate_id(facility_id, appointment_id)
    appointment, facts = _fold(hospital, aggregate_id, Appointment, facility_id, f"appointment {appointment_id}")
    booked = next(f for f in facts if isinstance(f, AppointmentBooked))  # the first fact
    coverage = None
    for fact in facts:
        if isinstance(fact, InsuranceVerificationRequested):
            coverage = fact.coverage
    return {
        "appointment_id": appointment_id,
        "facility_id": facility_id,
        "status": appointment.status,
        "provider_id": appointment.provider_id,
        "department": booked.department,
        "appointment_type": booked.appointment_type,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "reason": booked.reason,
        "encounter_id": booked.encounter_id,
        "insurance": appointment.insurance,
        "insurance_detail": appointment.insurance_note,
        # Member ids identify a patient as surely as an MRN.
        "coverage": msgspec.to_builtins(coverage) if coverage is not None and full_identity else None,
        "patient": patient_view(current_patient(facts), full_identity),
        "version": appointment.version,
    }
