"""Scheduling: working schedules, availability (FHIR Slot statuses), the
waitlist and getting appointments ready (modify, pre-op checklist, confirm,
insurance re-check)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from events.catalogue import AppointmentType, Contact, Person
from services.access.schedule_commands import MAX_QUERY_DAYS
from services.access.waitlist_commands import parse_scope
from services.api.deps import Command, HospitalDep, Reader
from services.api.one_hop import OneHopRoute
from services.api.query_types import IsoDate
from services.api.replies import ERROR_RESPONSES, OutcomeOut
from services.api.scheduling_schemas import (
    AcceptOffer,
    BlockTime,
    ChecklistDone,
    DeclareHoliday,
    DefineSchedule,
    JoinWaitlist,
    Modify,
)
from services.api.schemas import CommandBody, Correction
from services.errors import NotFound

router = APIRouter(tags=["scheduling"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

ResourceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Kind = Literal["provider", "room", "department"]
WaitKind = Literal["provider", "department"]
AppointmentId = Annotated[str, Path(min_length=1, max_length=64)]


# --- schedules and availability ---------------------------------------------


@router.put("/schedules/{kind}/{resource_id}", name="scheduling.define-schedule", response_model=OutcomeOut)
def define_schedule(kind: Kind, resource_id: ResourceId, body: DefineSchedule, command: Command, hospital: HospitalDep):
    """Define or replace the working week of a provider, room or department."""
    hours = [(h.weekday, h.start, h.end) for h in body.hours]
    return command(
        hospital.define_schedule,
        body,
        kind,
        resource_id,
        body.department,
        body.time_zone,
        hours,
        dict(body.slot_lengths),
    )


@router.post(
    "/schedules/{kind}/{resource_id}/blocks", name="scheduling.block-time", status_code=201, response_model=OutcomeOut
)
def block_time(kind: Kind, resource_id: ResourceId, body: BlockTime, command: Command, hospital: HospitalDep):
    return command(
        hospital.block_time, body, kind, resource_id, body.start, body.end, body.reason, block_id=body.block_id
    )


@router.delete(
    "/schedules/{kind}/{resource_id}/blocks/{block_id}", name="scheduling.unblock-time", response_model=OutcomeOut
)
def unblock_time(kind: Kind, resource_id: ResourceId, block_id: ResourceId, command: Command, hospital: HospitalDep):
    return command(hospital.unblock_time, CommandBody(), kind, resource_id, block_id)


@router.post(
    "/schedules/{kind}/{resource_id}/holidays", name="scheduling.holiday", status_code=201, response_model=OutcomeOut
)
def declare_holiday(kind: Kind, resource_id: ResourceId, body: DeclareHoliday, command: Command, hospital: HospitalDep):
    return command(hospital.declare_holiday, body, kind, resource_id, body.day, body.name)


@router.get("/availability/{kind}/{resource_id}", name="scheduling.availability")
def availability(
    kind: Literal["provider", "room"],
    resource_id: ResourceId,
    reader: Reader,
    first: Annotated[IsoDate, Query(alias="from", description="first local day")],
    appointment_type: AppointmentType = "outpatient-visit",
    last: Annotated[
        IsoDate | None,
        Query(
            alias="to", description=f"last local day (default: from); not before from, at most {MAX_QUERY_DAYS} days"
        ),
    ] = None,
    status: Literal["free", "busy", "busy-unavailable", "busy-tentative"] | None = None,
) -> dict:
    """Slots as FHIR Slot statuses: free, busy, busy-unavailable, busy-tentative."""
    slots = reader.hospital.availability(reader.facility_id, kind, resource_id, first, last or first, appointment_type)
    return {
        "resource": {"kind": kind, "id": resource_id},
        "appointment_type": appointment_type,
        "slots": [s.as_dict() for s in slots if status is None or s.status == status],
    }


# --- waitlist ---------------------------------------------------------------


@router.post("/waitlist", name="scheduling.join-waitlist", status_code=201, response_model=OutcomeOut)
def join_waitlist(body: JoinWaitlist, command: Command, hospital: HospitalDep):
    """Wait for an earlier slot with a provider (provider_id) or anyone in a department."""
    contact = Contact(**body.contact.model_dump()) if body.contact else None
    return command(
        hospital.join_waitlist,
        body,
        Person(**body.patient.model_dump(exclude_none=True)),
        body.department,
        body.appointment_type,
        body.duration_minutes,
        provider_id=body.provider_id,
        before=body.before,
        appointment_id=body.appointment_id,
        contact=contact,
        entry_id=body.entry_id,
    )


@router.get("/waitlists/{kind}/{resource_id}", name="scheduling.read-waitlist")
def read_waitlist(kind: WaitKind, resource_id: ResourceId, reader: Reader) -> dict:
    waitlist = reader.hospital.waitlist(reader.facility_id, parse_scope(kind, resource_id))
    if waitlist is None:
        raise NotFound(f"no waitlist for {kind} {resource_id}")
    entries = []
    for waiting in waitlist.entries.values():
        joined, offer = waiting.joined, waiting.offer
        initials = "".join(n[:1].upper() for n in (joined.patient.given_name, joined.patient.family_name) if n)
        entries.append(
            {
                "entry_id": joined.entry_id,
                "initials": initials,
                "department": joined.department,
                "appointment_type": joined.appointment_type,
                "duration_minutes": joined.duration_minutes,
                "joined_at": waiting.joined_at.isoformat(),
                "appointment_id": joined.appointment_id,
                "offer": None
                if offer is None
                else {
                    "provider_id": offer.provider_id,
                    "start": offer.start.isoformat(),
                    "end": offer.end.isoformat(),
                    "expires_at": offer.expires_at.isoformat(),
                },
            }
        )
    reader.disclosed(
        [f"WaitlistEntry/{e['entry_id']}" for e in entries]
        + [f"Appointment/{e['appointment_id']}" for e in entries if e["appointment_id"]]
    )
    return {"scope": waitlist.scope, "entries": entries}


def _entry_path(kind: str, resource_id: str) -> str:
    return parse_scope(kind, resource_id)


@router.post(
    "/waitlists/{kind}/{resource_id}/entries/{entry_id}/accept",
    name="scheduling.accept-offer",
    response_model=OutcomeOut,
)
def accept_offer(
    kind: WaitKind,
    resource_id: ResourceId,
    entry_id: ResourceId,
    command: Command,
    hospital: HospitalDep,
    body: AcceptOffer | None = None,
):
    body = body or AcceptOffer()
    return command(
        hospital.accept_offer, body, _entry_path(kind, resource_id), entry_id, appointment_id=body.appointment_id
    )


@router.post(
    "/waitlists/{kind}/{resource_id}/entries/{entry_id}/decline",
    name="scheduling.decline-offer",
    response_model=OutcomeOut,
)
def decline_offer(
    kind: WaitKind,
    resource_id: ResourceId,
    entry_id: ResourceId,
    command: Command,
    hospital: HospitalDep,
    body: CommandBody | None = None,
):
    return command(hospital.decline_offer, body or CommandBody(), _entry_path(kind, resource_id), entry_id)


@router.post(
    "/waitlists/{kind}/{resource_id}/entries/{entry_id}/leave",
    name="scheduling.leave-waitlist",
    response_model=OutcomeOut,
)
def leave_waitlist(
    kind: WaitKind,
    resource_id: ResourceId,
    entry_id: ResourceId,
    body: Correction,
    command: Command,
    hospital: HospitalDep,
):
    return command(hospital.leave_waitlist, body, _entry_path(kind, resource_id), entry_id, body.reason)


# --- getting an appointment ready -------------------------------------------


@router.post("/appointments/{appointment_id}/modify", name="scheduling.modify", response_model=OutcomeOut)
def modify(appointment_id: AppointmentId, body: Modify, command: Command, hospital: HospitalDep):
    """Change reason, type or room without moving the time (409 if the room is taken)."""
    return command(
        hospital.modify_appointment,
        body,
        appointment_id,
        reason=body.reason,
        appointment_type=body.appointment_type,
        room_id=body.room_id,
    )


@router.post("/appointments/{appointment_id}/checklist", name="scheduling.checklist", response_model=OutcomeOut)
def checklist(appointment_id: AppointmentId, body: ChecklistDone, command: Command, hospital: HospitalDep):
    """Mark one pre-operative checklist item of a surgical case done."""
    return command(hospital.complete_checklist_item, body, appointment_id, body.item, body.note or "")


@router.post("/appointments/{appointment_id}/confirm", name="scheduling.confirm", response_model=OutcomeOut)
def confirm(appointment_id: AppointmentId, command: Command, hospital: HospitalDep, body: CommandBody | None = None):
    """Confirm for the day; 409 checklist_incomplete for a surgical case with open items."""
    return command(hospital.confirm_appointment, body or CommandBody(), appointment_id)


@router.post(
    "/appointments/{appointment_id}/insurance-recheck", name="scheduling.insurance-recheck", response_model=OutcomeOut
)
def insurance_recheck(appointment_id: AppointmentId, body: Correction, command: Command, hospital: HospitalDep):
    return command(hospital.require_insurance_recheck, body, appointment_id, body.reason)
