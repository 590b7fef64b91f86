"""Bed requests and inpatient beds: from an admit decision to the patient
leaving the ED for an inpatient bed. Routes parse, delegate, and map errors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field

from events.catalogue import BedNeeds, Isolation, RequestedLevel, Sex
from services.api.deps import Command, HospitalDep
from services.api.replies import ERROR_RESPONSES, OutcomeOut
from services.api.schemas import Body, Code, CommandBody, Correction, DecideAdmit, Key, Text

router = APIRouter(tags=["placement"], responses=ERROR_RESPONSES)

EncounterId = Annotated[str, Path(min_length=1, max_length=64, description="the encounter id returned on arrival")]
InpatientBedId = Annotated[str, Path(min_length=1, max_length=64, description="the inpatient bed's id, e.g. 4W-07")]


class Needs(Body):
    telemetry: bool = False
    isolation: Isolation = "none"
    bariatric: bool = False
    roommate_sex: Sex | None = Field(default=None, description="where rooms are shared: the room-mate's sex")

    def fact(self) -> BedNeeds:
        return BedNeeds(**self.model_dump())


class RequestBed(CommandBody):
    level_of_care: RequestedLevel = "ward"
    inpatient_unit: Code | None = Field(default=None, description="the receiving unit, if known")
    needs: Needs = Field(default_factory=Needs)


class AdmitAndRequest(DecideAdmit):
    """The admit decision opens a bed request: at `requested_level` (default:
    the decision's level, e.g. step-down for a ward admission) with `needs`."""

    requested_level: RequestedLevel | None = None
    needs: Needs = Field(default_factory=Needs)


class ChangeRequest(RequestBed):
    reason: Text


class AssignInpatientBed(CommandBody):
    unit: Key
    bed_id: Key


def _needs(body: RequestBed) -> BedNeeds:
    return body.needs.fact()


@router.post("/encounters/{encounter_id}/bed-request", name="placement.request", response_model=OutcomeOut)
def request_bed(encounter_id: EncounterId, body: RequestBed, command: Command, hospital: HospitalDep):
    """Open a bed request (an admit decision opens one itself; this reopens one that was cancelled).
    409 without an admit decision or with a request already open."""
    return command(
        hospital.request_bed, body, encounter_id, body.level_of_care, body.inpatient_unit, needs=_needs(body)
    )


@router.post("/encounters/{encounter_id}/bed-request/change", name="placement.change", response_model=OutcomeOut)
def change_request(encounter_id: EncounterId, body: ChangeRequest, command: Command, hospital: HospitalDep):
    """Restate what the open request asks for, with the reason; an assigned bed stays assigned."""
    return command(
        hospital.change_bed_request,
        body,
        encounter_id,
        body.level_of_care,
        body.inpatient_unit,
        _needs(body),
        body.reason,
    )


@router.post("/encounters/{encounter_id}/bed-request/assignment", name="placement.assign", response_model=OutcomeOut)
def assign(encounter_id: EncounterId, body: AssignInpatientBed, command: Command, hospital: HospitalDep):
    """Give the request an inpatient bed; a bed it had is freed. 409 if the bed is held for or
    occupied by another patient; 404 if the facility file does not list it."""
    return command(hospital.assign_inpatient_bed, body, encounter_id, body.unit, body.bed_id)


@router.post("/encounters/{encounter_id}/bed-request/ready", name="placement.ready", response_model=OutcomeOut)
def ready(encounter_id: EncounterId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    """The assigned bed is cleaned and ready for the patient."""
    return command(hospital.inpatient_bed_ready, body or CommandBody(), encounter_id)


@router.post("/encounters/{encounter_id}/bed-request/cancellation", name="placement.cancel", response_model=OutcomeOut)
def cancel(encounter_id: EncounterId, body: Correction, command: Command, hospital: HospitalDep):
    """Close the open request (its bed is freed); the admit decision stands."""
    return command(hospital.cancel_bed_request, body, encounter_id, reason=body.reason)


@router.post(
    "/encounters/{encounter_id}/admission-cancellation",
    name="placement.cancel-admission",
    response_model=OutcomeOut,
)
def cancel_admission(encounter_id: EncounterId, body: Correction, command: Command, hospital: HospitalDep):
    """Withdraw the admit decision: the open request closes and its bed is freed."""
    return command(hospital.cancel_admission, body, encounter_id, reason=body.reason)


@router.post("/inpatient-beds/{bed_id}/release", name="placement.release-bed", response_model=OutcomeOut)
def release(bed_id: InpatientBedId, body: Correction, command: Command, hospital: HospitalDep):
    """The patient in this inpatient bed left it (went home, moved); the bed is free again."""
    return command(hospital.release_inpatient_bed, body, bed_id, reason=body.reason)
