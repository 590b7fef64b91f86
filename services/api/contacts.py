"""The contact log: calls, e-mails, letters and text messages with a patient,
by MRN, optionally tied to an appointment; a contact may ask for a call-back
(the patient is in the work queue until it is done or cancelled). Reading a
log is an audited read like every other read of patient data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, Field, StringConstraints

from base.input_bounds import MAX_NOTE_CHARS
from events.catalogue import ContactChannel, ContactDirection, ContactOutcome
from services.access.contacts import ContactLog
from services.api.deps import Command, HospitalDep, ReadAccess, Reader
from services.api.one_hop import OneHopRoute
from services.api.replies import ERROR_RESPONSES, OutcomeOut
from services.api.schemas import PLAIN, CommandBody, Correction, Key, Name, Plain
from services.errors import NotFound

router = APIRouter(tags=["contacts"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

Mrn = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="the patient's MRN")
]
AppointmentId = Annotated[str, Path(min_length=1, max_length=64)]
ContactId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_NOTE_CHARS),
    Plain,
    Field(description=f"a short note, at most {MAX_NOTE_CHARS} characters; {PLAIN}"),
]


class LogContact(CommandBody):
    """`occurred_at` is when the contact happened (default: now); the token says who."""

    contact_id: Key | None = None
    channel: ContactChannel
    direction: ContactDirection
    reason: Name
    outcome: ContactOutcome
    note: Note = ""
    appointment_id: Key | None = Field(default=None, description="an appointment of this patient, else 404/422")
    call_back_at: AwareDatetime | None = Field(
        default=None, description="call the patient back then: after the contact's time, else 422"
    )
    call_back_of: Key | None = Field(
        default=None, description="the earlier contact whose call-back this is (it leaves the work queue); 409 if done"
    )


@router.post("/patients/{mrn}/contacts", name="contacts.log", status_code=201, response_model=OutcomeOut)
def log_contact(mrn: Mrn, body: LogContact, command: Command, hospital: HospitalDep):
    """Log one contact with the patient; with `call_back_at` the patient is in
    the work queue (call-backs due) until a later contact names it in
    `call_back_of` or it is cancelled."""
    return command(
        hospital.log_contact,
        body,
        mrn,
        body.channel,
        body.direction,
        body.reason,
        body.outcome,
        note=body.note,
        appointment_id=body.appointment_id,
        call_back_at=body.call_back_at,
        call_back_of=body.call_back_of,
        contact_id=body.contact_id,
    )


@router.post(
    "/patients/{mrn}/contacts/{contact_id}/cancel-call-back",
    name="contacts.cancel-call-back",
    response_model=OutcomeOut,
)
def cancel_call_back(mrn: Mrn, contact_id: ContactId, body: Correction, command: Command, hospital: HospitalDep):
    """The call-back asked for by this contact is no longer needed (409 if it is not open)."""
    return command(hospital.cancel_call_back, body, mrn, contact_id, body.reason)


def _listed(reader: ReadAccess, log: ContactLog | None, mrn: str, appointment_id: str | None = None) -> dict:
    contacts = [] if log is None else [c.as_dict() for c in log.contacts.values()]
    if appointment_id is not None:
        contacts = [c for c in contacts if c["appointment_id"] == appointment_id]
    contacts.sort(key=lambda c: (c["at"], c["contact_id"]))
    reader.disclosed([f"Patient/{mrn}"] if contacts else [])
    return {"mrn": mrn, "contacts": contacts}


def _log(reader: ReadAccess, mrn: str) -> ContactLog | None:
    try:
        return reader.hospital.contact_log(reader.facility_id, mrn)
    except NotFound:
        return None


@router.get("/patients/{mrn}/contacts", name="contacts.read-patient")
def read_patient_contacts(mrn: Mrn, reader: Reader) -> dict:
    """Every contact with the patient, oldest first (an empty list when there is none)."""
    return _listed(reader, _log(reader, mrn), mrn)


@router.get("/appointments/{appointment_id}/contacts", name="contacts.read-appointment")
def read_appointment_contacts(appointment_id: AppointmentId, reader: Reader) -> dict:
    """The contacts tied to one appointment (404 for an unknown appointment)."""
    appointment = reader.hospital.appointment(reader.facility_id, appointment_id)
    mrn = getattr(appointment, "patient", None) and appointment.patient.mrn
    if not mrn:
        return {"mrn": None, "contacts": []}
    return _listed(reader, _log(reader, mrn), mrn, appointment_id)
