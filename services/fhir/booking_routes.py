"""The FHIR routes that book, cancel and move appointments.

    POST  /fhir/R4/{facility}/Appointment        book (201, or 200 with the one
                                                 `If-None-Exist: identifier=<id>` names)
    PUT   /fhir/R4/{facility}/Appointment/{id}   cancel or move, from the whole resource
    PATCH /fhir/R4/{facility}/Appointment/{id}   the same, from the changed elements
                                                 (an object, or JSON Patch operations)

Who may follows the command API's table (`appointments.book`, `.cancel`,
`.reschedule` in `base/permissions.py`); the `Idempotency-Key` header makes a
retry return the first result, as on the command API. Refusals are
OperationOutcome resources: 409 for a taken slot, 422 for what the rules refuse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from base.access import Denied, Principal, authorize
from base.permissions import sees_identity
from events.envelope import Actor
from services.access.domainmodel import Appointment
from services.access.ids import appointment_aggregate_id
from services.audit.access import record_read
from services.errors import Conflict, DomainError, Invalid, NotFound
from services.fhir.answering import ISSUE_CODES, Credentials, Facility, FhirId, outcome
from services.fhir.appointment import appointment_resource
from services.fhir.booking import IF_NONE_EXIST_FORM, book, book_request, plan_update
from services.fhir.booking_openapi import CREATE, IF_NONE_EXIST_PATTERN, PATCH, REPLACE, write_responses
from services.fhir.openapi import FhirJSONResponse
from services.recording import Meta

router = APIRouter(tags=["fhir"], default_response_class=FhirJSONResponse)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]
# Read from the request (documented in `booking_openapi.CREATE`): FastAPI would
# document an optional header as nullable, which a header cannot be.
IF_NONE_EXIST = re.compile(IF_NONE_EXIST_PATTERN)
STATUS = {NotFound: (404, "not-found"), Conflict: (409, "conflict"), Invalid: (422, "invalid")}


class Refusal(Exception):
    def __init__(self, status: int, code: str, text: str):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def _principal(request: Request, credentials, routes: tuple[str, ...]) -> Principal:
    """The caller, allowed on at least one of `routes` (the first refusal otherwise)."""
    token = credentials.credentials if credentials is not None else None
    refusals = []
    for route in routes:
        try:
            return authorize(token, route, request.path_params["facility_id"], request.app.state.settings)
        except Denied as denied:
            refusals.append(denied)
    raise Refusal(refusals[0].status, ISSUE_CODES[refusals[0].status], refusals[0].message)


@contextmanager
def _shaped() -> Iterator[None]:
    """An element of the wrong JSON type (a number for a list, ...) is a 400."""
    try:
        yield
    except (TypeError, KeyError, AttributeError) as error:
        raise Refusal(400, "invalid", f"the body is not an Appointment as described ({type(error).__name__})") from None


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise Refusal(400, "invalid", "the body is not JSON") from None


def _idem(key: str | None, route: str, principal: Principal, path: dict, body: Any) -> dict:
    if key is None:
        return {}
    if key[:4].lower() == "hl7:":
        raise Invalid("Idempotency-Key values starting with 'hl7:' are reserved for the HL7 interface", field="key")
    request = {"route": route, "path": path, "body": body}
    return {"idempotency_key": key, "request": request, "idempotency_scope": ("api", principal.subject)}


def _meta(facility_id: str, principal: Principal) -> Meta:
    actor = Actor(id=principal.subject, role=principal.role)
    return Meta(facility_id=facility_id, occurred_at=datetime.now(UTC), actor=actor)


def _shown(request: Request, principal: Principal, route: str, appointment_id: str, status: int) -> FhirJSONResponse:
    """The appointment as it is now, in the access log as read."""
    hospital, facility_id = request.app.state.hospital, request.path_params["facility_id"]
    host = request.client.host if request.client else None
    record_read(hospital, principal, facility_id, "fhir/Appointment", appointment_id, host)
    resource = appointment_resource(hospital, facility_id, appointment_id, sees_identity(route, principal.role))
    where = request.url_for("fhir.appointment.read", facility_id=facility_id, appointment_id=appointment_id)
    headers = {"Location": str(where)}
    return FhirJSONResponse(resource, status_code=status, headers=headers if status == 201 else None)


async def _answer(work: Callable[[], FhirJSONResponse]) -> FhirJSONResponse:
    try:
        return await run_in_threadpool(work)
    except Refusal as refusal:
        return outcome(refusal.status, refusal.code, refusal.text)
    except DomainError as error:
        status, code = next((v for k, v in STATUS.items() if isinstance(error, k)), (422, "invalid"))
        return outcome(status, code, error.message)


@router.post(
    "/Appointment", name="fhir.appointment.create", responses=write_responses(create=True), openapi_extra=CREATE
)
async def create_appointment(
    facility_id: Facility, request: Request, credentials: Credentials, key: IdempotencyKey = None
):
    raw, if_none_exist = await request.body(), request.headers.get("If-None-Exist")

    def work() -> FhirJSONResponse:
        route = "appointments.book"
        principal = _principal(request, credentials, (route,))
        resource, hospital = _body(raw), request.app.state.hospital
        if not isinstance(resource, dict):
            raise Refusal(400, "invalid", "send one Appointment resource")
        appointment_id = None
        if if_none_exist is not None:
            if not IF_NONE_EXIST.fullmatch(if_none_exist):
                raise Invalid(IF_NONE_EXIST_FORM, field="If-None-Exist")
            appointment_id = if_none_exist.split("|")[-1].removeprefix("identifier=")
            existing = hospital.find(Appointment, appointment_aggregate_id(facility_id, appointment_id))
            if existing is not None and existing.facility_id == facility_id:
                return _shown(request, principal, route, appointment_id, 200)
        with _shaped():
            asked = book_request(hospital, facility_id, resource, appointment_id)
        idem = _idem(key, "fhir.appointment.create", principal, {"facility_id": facility_id}, resource)
        booked = book(hospital, _meta(facility_id, principal), asked, idem)
        return _shown(request, principal, route, booked, 201)

    return await _answer(work)


async def _update(request: Request, credentials, appointment_id: str, key: str | None, patch: bool):
    raw = await request.body()

    def work() -> FhirJSONResponse:
        principal = _principal(request, credentials, ("appointments.cancel", "appointments.reschedule"))
        hospital, facility_id = request.app.state.hospital, request.path_params["facility_id"]
        changes = _body(raw)
        if patch and isinstance(changes, list):  # JSON Patch: the values each operation sets
            changes = {
                str(op.get("path", "")).strip("/"): op.get("value")
                for op in changes
                if isinstance(op, dict) and op.get("op") in ("add", "replace")
            }
        if not isinstance(changes, dict):
            raise Refusal(400, "invalid", "send an Appointment, its changed elements or JSON Patch operations")
        if not patch and changes.get("resourceType") != "Appointment":
            raise Refusal(400, "invalid", "PUT takes the whole Appointment resource")
        with _shaped():
            planned = plan_update(hospital, facility_id, appointment_id, changes)
        if planned is None:
            return _shown(request, principal, "appointments.read", appointment_id, 200)
        route, run = planned
        principal = _principal(request, credentials, (route,))
        path = {"facility_id": facility_id, "appointment_id": appointment_id}
        run(_meta(facility_id, principal), _idem(key, f"fhir.{route}", principal, path, changes))
        return _shown(request, principal, route, appointment_id, 200)

    return await _answer(work)


@router.put("/Appointment/{appointment_id}", name="fhir.appointment.update", responses=write_responses(create=False),
            openapi_extra=REPLACE)  # fmt: skip
async def put_appointment(
    facility_id: Facility,
    appointment_id: FhirId,
    request: Request,
    credentials: Credentials,
    key: IdempotencyKey = None,
):
    return await _update(request, credentials, appointment_id, key, patch=False)


@router.patch("/Appointment/{appointment_id}", name="fhir.appointment.patch", responses=write_responses(create=False),
              openapi_extra=PATCH)  # fmt: skip
async def patch_appointment(
    facility_id: Facility,
    appointment_id: FhirId,
    request: Request,
    credentials: Credentials,
    key: IdempotencyKey = None,
):
    return await _update(request, credentials, appointment_id, key, patch=True)
