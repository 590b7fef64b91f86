"""ED visits: arrival to departure. Routes parse, delegate, and map errors."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Path

from base.stay_codes import stay_code, stay_code_key
from events.catalogue import PatientDetailsUpdated, Person
from services.api.deps import Command, Reader
from services.api.one_hop import OneHopRoute
from services.api.placement import AdmitAndRequest
from services.api.replies import ERROR_RESPONSES, ArrivalOut, OutcomeOut
from services.api.schemas import (
    Arrive,
    AssignBed,
    AssignNurse,
    AssignProvider,
    CommandBody,
    Correction,
    Discharge,
    Triage,
    UpdateDetails,
    Ventilation,
)
from services.api.views import current_patient, encounter_view, encounter_with_facts

router = APIRouter(prefix="/encounters", tags=["encounters"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

EncounterId = Annotated[str, Path(min_length=1, max_length=64, description="the encounter id returned on arrival")]


def _person(patient) -> Person:
    return Person(**patient.model_dump(exclude_none=True))


@router.post("", name="encounters.arrive", status_code=201, response_model=ArrivalOut)
def arrive(body: Arrive, command: Command):
    """Register an arrival; the id of the new visit and the stay code to tell the patient are returned."""
    outcome = command(
        command.hospital.arrive,
        body,
        visit_number=body.visit_number,
        patient=_person(body.patient),
        arrival_mode=body.arrival_mode,
        chief_complaint=body.chief_complaint or "",
    )
    return {**outcome, "stay_code": stay_code(stay_code_key(command.settings), outcome["id"])}


@router.get("/{encounter_id}", name="encounters.read")
def read(encounter_id: EncounterId, reader: Reader) -> dict:
    """The visit as it stands now, with its stay code. Identity only for roles that need it."""
    view = encounter_view(reader.hospital, reader.facility_id, encounter_id, reader.sees_identity)
    return {**view, "stay_code": stay_code(stay_code_key(reader.settings), view["id"])}


@router.post("/{encounter_id}/triage", name="encounters.triage", response_model=OutcomeOut)
def triage(encounter_id: EncounterId, body: Triage, command: Command):
    return command(command.hospital.triage, body, encounter_id, esi=body.esi)


@router.post("/{encounter_id}/provider", name="encounters.provider", response_model=OutcomeOut)
def assign_provider(encounter_id: EncounterId, body: AssignProvider, command: Command):
    return command(command.hospital.assign_provider, body, encounter_id, provider_id=body.provider_id)


@router.post("/{encounter_id}/nurse", name="encounters.nurse", response_model=OutcomeOut)
def assign_nurse(encounter_id: EncounterId, body: AssignNurse, command: Command):
    """The patient's nurse, assigned or changed while the visit is open."""
    return command(command.hospital.assign_nurse, body, encounter_id, nurse_id=body.nurse_id)


@router.post("/{encounter_id}/bed", name="encounters.bed", response_model=OutcomeOut)
def assign_bed(encounter_id: EncounterId, body: AssignBed, command: Command):
    """Into a bed, or a transfer if the patient is already in one."""
    return command(command.hospital.assign_bed, body, encounter_id, bed_id=body.bed_id)


@router.post("/{encounter_id}/admit-decision", name="encounters.admit-decision", response_model=OutcomeOut)
def decide_admit(encounter_id: EncounterId, body: AdmitAndRequest, command: Command):
    """The admit decision; it opens the bed request for the receiving service."""
    return command(
        command.hospital.decide_admit,
        body,
        encounter_id,
        level_of_care=body.level_of_care,
        inpatient_unit=body.inpatient_unit,
        requested_level=body.requested_level,
        needs=body.needs.fact(),
    )


@router.post("/{encounter_id}/ventilation", name="encounters.ventilation", response_model=OutcomeOut)
def ventilation(encounter_id: EncounterId, body: Ventilation, command: Command):
    """Put the patient on a ventilator or take them off (a NEDOCS input). Only while the
    visit is open; a patient who leaves ventilated leaves the count without a stop."""
    return command(command.hospital.ventilation, body, encounter_id, action=body.action)


@router.post("/{encounter_id}/discharge", name="encounters.discharge", response_model=OutcomeOut)
def discharge(encounter_id: EncounterId, body: Discharge, command: Command):
    return command(
        command.hospital.discharge, body, encounter_id, disposition=body.disposition, destination=body.destination
    )


@router.post(
    "/{encounter_id}/left-without-being-seen", name="encounters.left-without-being-seen", response_model=OutcomeOut
)
def leave_without_being_seen(encounter_id: EncounterId, command: Command, body: CommandBody | None = None):
    return command(command.hospital.leave_without_being_seen, body or CommandBody(), encounter_id)


@router.post("/{encounter_id}/arrival-cancellation", name="encounters.arrival-cancellation", response_model=OutcomeOut)
def cancel_arrival(encounter_id: EncounterId, body: Correction, command: Command):
    """Correction: the arrival was recorded in error."""
    return command(command.hospital.cancel_arrival, body, encounter_id, reason=body.reason)


@router.post(
    "/{encounter_id}/discharge-cancellation", name="encounters.discharge-cancellation", response_model=OutcomeOut
)
def cancel_discharge(encounter_id: EncounterId, body: Correction, command: Command):
    """Correction: the discharge was recorded in error; the stay goes on."""
    return command(command.hospital.cancel_discharge, body, encounter_id, reason=body.reason)


@router.patch("/{encounter_id}", name="encounters.update", response_model=OutcomeOut)
def update_details(encounter_id: EncounterId, body: UpdateDetails, command: Command):
    """Correct demographics, complaint or arrival mode; fields not sent keep their value."""
    patient = None
    if body.patient is not None:
        # The fact carries the whole corrected identity, so readers need no history.
        _, facts = encounter_with_facts(command.hospital, command.facility_id, encounter_id)
        patient = msgspec.structs.replace(current_patient(facts), **body.patient.model_dump(exclude_none=True))
    update = PatientDetailsUpdated(
        patient=patient, chief_complaint=body.chief_complaint, arrival_mode=body.arrival_mode
    )
    return command(command.hospital.update_details, body, encounter_id, update)
