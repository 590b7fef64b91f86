"""Booking over FHIR: an Appointment a client sends, turned into the command
API's own request (`services.api.schemas.Book`, `Reschedule`, `Correction`)
and run through the same Hospital command, so the same bounds and conflict
rules apply (a taken slot is a 409).

A booking names one Slot (`slot: [{reference: Slot/<id>}]`, whose cell gives
the start, end and appointment type) or a start and end, the patient
(`Patient/<MRN>`, the name as `Family, Given` in its display) and the
practitioner (`Practitioner/<id>`, whose working schedule gives the
department). An update either cancels (status `cancelled` with a
`cancelationReason`) or moves the appointment to another slot or time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from events.catalogue import Person
from services.api.schemas import Book, Correction, Reschedule
from services.errors import Invalid, NotFound
from services.fhir.appointment import FHIR_STATUS
from services.fhir.slot import DEFAULT_TYPE, TYPES_BY_CODE, slot_by_id
from services.recording import Meta

M = TypeVar("M", bound=BaseModel)
# Refusals the OpenAPI describes in words (JSON Schema cannot say them).
NO_SCHEDULE = "has no working schedule at this facility"
NOT_A_SLOT = "names no Slot of this facility"
ONE_EACH = "an Appointment names one Patient and one Practitioner"
SLOT_OR_TIMES = "an Appointment names one Slot, or a start and an end"
ONLY_CANCELLED = "becomes only cancelled over FHIR"
IF_NONE_EXIST_FORM = "If-None-Exist takes identifier=<appointment id>"
RULES = (NO_SCHEDULE, NOT_A_SLOT, ONE_EACH, SLOT_OR_TIMES, ONLY_CANCELLED, IF_NONE_EXIST_FORM)


def _checked(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise Invalid(f"{where}: {first['msg']}", field=where) from None


def _actors(resource: dict, kind: str) -> list[dict]:
    return [
        p["actor"]
        for p in resource.get("participant") or []
        if isinstance(p, dict) and str((p.get("actor") or {}).get("reference", "")).startswith(f"{kind}/")
    ]


def _when(hospital, facility_id: str, resource: dict, provider_id: str | None) -> dict[str, Any]:
    """start, end and (from a Slot) the appointment type the Appointment asks for."""
    slots = resource.get("slot") or []
    if len(slots) == 1 and not resource.get("start") and not resource.get("end"):
        reference = str(slots[0].get("reference", ""))
        slot_id = reference.removeprefix("Slot/")
        try:
            slot = slot_by_id(hospital, facility_id, slot_id)
        except NotFound:
            raise Invalid(f"{reference} {NOT_A_SLOT}", field="slot") from None
        schedule = slot["schedule"]["reference"].removeprefix("Schedule/")
        if provider_id is not None and schedule != provider_id:
            raise Invalid(f"{reference} {NOT_A_SLOT} for Practitioner/{provider_id}", field="slot")
        kind = TYPES_BY_CODE.get(slot_id.rsplit(".", 2)[-2], DEFAULT_TYPE)
        return {"start": slot["start"], "end": slot["end"], "appointment_type": kind}
    if slots or not resource.get("start") or not resource.get("end"):
        raise Invalid(SLOT_OR_TIMES, field="slot")
    codes = [c.get("code") for s in resource.get("serviceType") or [] for c in s.get("coding") or []]
    asked = next((c for c in codes if c in TYPES_BY_CODE.values() or c in TYPES_BY_CODE), None)
    return {
        "start": resource["start"],
        "end": resource["end"],
        "appointment_type": TYPES_BY_CODE.get(str(asked), asked),
    }


def book_request(hospital, facility_id: str, resource: dict, appointment_id: str | None) -> Book:
    """The command API's booking request this Appointment is (Invalid when it is not one)."""
    if resource.get("resourceType") != "Appointment" or resource.get("status") != "booked":
        raise Invalid("send an Appointment with status booked", field="status")
    patients, practitioners = _actors(resource, "Patient"), _actors(resource, "Practitioner")
    if len(patients) != 1 or len(practitioners) != 1:
        raise Invalid(ONE_EACH, field="participant")
    provider_id = practitioners[0]["reference"].removeprefix("Practitioner/")
    schedule = hospital.resource_schedule(facility_id, "provider", provider_id)
    if schedule is None:
        raise Invalid(f"Practitioner/{provider_id} {NO_SCHEDULE}", field="participant")
    family, _, given = str(patients[0].get("display") or "").partition(",")
    when = _when(hospital, facility_id, resource, provider_id)
    return _checked(
        Book,
        {
            "appointment_id": appointment_id,
            "patient": {
                "mrn": patients[0]["reference"].removeprefix("Patient/"),
                "family_name": family.strip() or None,
                "given_name": given.strip() or None,
            },
            "provider_id": provider_id,
            "department": schedule.department,
            "reason": resource.get("description") or None,
            **when,
            "appointment_type": when["appointment_type"] or DEFAULT_TYPE,
        },
    )


def book(hospital, meta, request: Book, idem: dict) -> str:
    outcome = hospital.book(
        meta,
        patient=Person(**request.patient.model_dump(exclude_none=True)),
        provider_id=request.provider_id,
        department=request.department,
        appointment_type=request.appointment_type,
        start=request.start,
        end=request.end,
        appointment_id=request.appointment_id,
        reason=request.reason or "",
        **idem,
    )
    return outcome.id


Run = Callable[[Meta, dict], object]


def plan_update(hospital, facility_id: str, appointment_id: str, changes: dict) -> tuple[str, Run] | None:
    """What `changes` asks of the appointment: the command API route whose
    roles may do it and the command; None when nothing changes."""
    current = hospital.appointment(facility_id, appointment_id)  # NotFound: 404
    status = changes.get("status", FHIR_STATUS.get(current.status, current.status))
    if status == "cancelled" and current.status != "cancelled":
        reason = changes.get("cancelationReason") or {}
        text = reason.get("text") or next((c.get("code") for c in reason.get("coding") or []), None)
        cancel = _checked(Correction, {"reason": text or ""})
        return "appointments.cancel", lambda meta, idem: hospital.cancel_appointment(
            meta, appointment_id, reason=cancel.reason, **idem
        )
    if status != FHIR_STATUS.get(current.status, current.status):
        raise Invalid(f"an Appointment's status {ONLY_CANCELLED}, not {status}", field="status")
    moved = {k: changes[k] for k in ("slot", "start", "end") if k in changes}
    practitioners = _actors(changes, "Practitioner")
    provider_id = practitioners[0]["reference"].removeprefix("Practitioner/") if practitioners else None
    if provider_id == current.provider_id:
        provider_id = None
    if not moved and provider_id is None:
        return None
    times = {"slot": [], **moved} if moved else {"start": current.start.isoformat(), "end": current.end.isoformat()}
    when = _when(hospital, facility_id, times, provider_id or current.provider_id)
    move = _checked(Reschedule, {"start": when["start"], "end": when["end"], "provider_id": provider_id})
    if (move.start, move.end, provider_id) == (current.start, current.end, None):
        return None
    return "appointments.reschedule", lambda meta, idem: hospital.reschedule(
        meta, appointment_id, move.start, move.end, provider_id=move.provider_id, **idem
    )
