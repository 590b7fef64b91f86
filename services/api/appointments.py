"""Appointments: booking without double-booking, check-in, insurance."""

from __future__ import annotations

from typing import Annotated, Unpack

from fastapi import APIRouter, Path, Request

from events.catalogue import Contact, Coverage, Person
from services.api.deps import Command, HospitalDep, Reader
from services.api.one_hop import OneHopRoute
from services.api.replies import ERROR_RESPONSES, PAYER_RESPONSES, OutcomeOut, PayerCheckOut
from services.api.schemas import Book, CommandBody, Correction, RequestVerification, Reschedule, VerificationResult
from services.api.views import appointment_view
from services.application import Idempotency, Outcome
from services.errors import NoPayerLink
from services.recording import Meta

router = APIRouter(prefix="/appointments", tags=["appointments"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

AppointmentId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("", name="appointments.book", status_code=201, response_model=OutcomeOut)
def book(body: Book, command: Command, hospital: HospitalDep):
    """Book a slot; 409 slot_already_booked if the provider is taken then."""
    return command(
        hospital.book,
        body,
        patient=Person(**body.patient.model_dump(exclude_none=True)),
        provider_id=body.provider_id,
        department=body.department,
        appointment_type=body.appointment_type,
        start=body.start,
        end=body.end,
        appointment_id=body.appointment_id,
        reason=body.reason or "",
        encounter_id=body.encounter_id,
        room_id=body.room_id,
        contact=Contact(**body.contact.model_dump()) if body.contact else None,
    )


@router.get("/{appointment_id}", name="appointments.read")
def read(appointment_id: AppointmentId, reader: Reader) -> dict:
    return appointment_view(reader.hospital, reader.facility_id, appointment_id, reader.sees_identity)


@router.post("/{appointment_id}/reschedule", name="appointments.reschedule", response_model=OutcomeOut)
def reschedule(appointment_id: AppointmentId, body: Reschedule, command: Command, hospital: HospitalDep):
    return command(
        hospital.reschedule, body, appointment_id, start=body.start, end=body.end, provider_id=body.provider_id
    )


@router.post("/{appointment_id}/cancel", name="appointments.cancel", response_model=OutcomeOut)
def cancel(appointment_id: AppointmentId, body: Correction, command: Command, hospital: HospitalDep):
    return command(hospital.cancel_appointment, body, appointment_id, reason=body.reason)


@router.post("/{appointment_id}/check-in", name="appointments.check-in", response_model=OutcomeOut)
def check_in(appointment_id: AppointmentId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.check_in, body or CommandBody(), appointment_id)


@router.post("/{appointment_id}/no-show", name="appointments.no-show", response_model=OutcomeOut)
def no_show(appointment_id: AppointmentId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.mark_no_show, body or CommandBody(), appointment_id)


@router.post("/{appointment_id}/complete", name="appointments.complete", response_model=OutcomeOut)
def complete(appointment_id: AppointmentId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    return command(hospital.complete_appointment, body or CommandBody(), appointment_id)


@router.post(
    "/{appointment_id}/insurance-verification", name="appointments.insurance-verification", response_model=OutcomeOut
)
def request_verification(
    appointment_id: AppointmentId, body: RequestVerification, command: Command, hospital: HospitalDep
):
    coverage = Coverage(**body.coverage.model_dump(exclude_none=True))
    return command(hospital.request_verification, body, appointment_id, coverage=coverage)


@router.post(
    "/{appointment_id}/insurance-verification/result",
    name="appointments.insurance-verification-result",
    response_model=OutcomeOut,
)
def record_verification(
    appointment_id: AppointmentId, body: VerificationResult, command: Command, hospital: HospitalDep
):
    return command(hospital.record_verification, body, appointment_id, verified=body.verified, detail=body.detail or "")


@router.post(
    "/{appointment_id}/insurance-verification/payer-check",
    name="appointments.insurance-payer-check",
    response_model=PayerCheckOut,
    responses=PAYER_RESPONSES,
)
def payer_check(
    request: Request,
    appointment_id: AppointmentId,
    command: Command,
    hospital: HospitalDep,
    body: CommandBody | None = None,
):
    """Ask the payer (`EDFLOW_ELIGIBILITY_URL`, a FHIR CoverageEligibilityRequest)
    about the pending coverage and record its answer as the caller. 409
    no_payer_link when no payer endpoint is configured (record the answer by
    hand); 502/504 when the payer gives no usable answer, which is also
    recorded as a failed check with the same reason."""
    link = request.app.state.payer
    if link is None:
        raise NoPayerLink("no payer endpoint is configured (EDFLOW_ELIGIBILITY_URL): record the payer's answer by hand")
    checker, _transport = link

    def ask(meta: Meta, appointment_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        outcome = hospital.check_eligibility(meta, appointment_id, checker, **idem)
        if outcome is None:  # pragma: no cover - a FHIR checker always answers
            raise NoPayerLink("the payer link left the decision to a person")
        return outcome

    outcome = command(ask, body or CommandBody(), appointment_id)
    appointment = hospital.appointment(command.facility_id, appointment_id)
    return {**outcome, "insurance": appointment.insurance, "detail": appointment.insurance_note}
