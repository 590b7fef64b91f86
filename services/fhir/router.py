"""FHIR R4 read API: Encounter, Location (beds) and Appointment, built from the
write model's stored facts and validated against the R4 resource classes.

    GET /fhir/R4/{facility}/Encounter/{id}        GET /fhir/R4/{facility}/Encounter?identifier=<visit number>
    GET /fhir/R4/{facility}/Location/{id}         GET /fhir/R4/{facility}/Location?identifier=<bed id>
    GET /fhir/R4/{facility}/Appointment/{id}      (id = the appointment id)
    GET /fhir/R4/{facility}/Slot?schedule=<provider id>&start=<YYYY-MM-DD>   (busy slots of that UTC day)
    GET /fhir/R4/{facility}/Schedule/{provider id | room.<id> | department.<id>}
    GET /fhir/R4/{facility}/Coverage/{appointment id}
Searches (strict: an unknown parameter or bad value is a 400 OperationOutcome; paged
with `_count` and the Bundle's `next` link, see `services/fhir/bundle.py`):
    Encounter?identifier=&status=&date=     Appointment?identifier=&status=&date=&practitioner=
    Location?identifier=&operational-status=    Schedule?actor=Practitioner/<id>&service-type=
    Coverage?patient=<MRN> (or beneficiary=)  -- `date` takes eq/ne/ge/gt/le/lt prefixes

Who may read what follows the command API's table for the matching read route
(`base/permissions.py`); errors are OperationOutcome resources. Every read is
in the access log before anything is built; a search also records the
resources (and patients, by MRN, when shown) of the page it returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from base.access import Denied, authorize
from base.permissions import sees_identity
from services.api.deps import bearer
from services.audit.access import record_disclosed, record_read
from services.errors import NotFound
from services.fhir import finders
from services.fhir.appointment import appointment_resource
from services.fhir.bundle import searchset
from services.fhir.coverage import coverage_resource
from services.fhir.encounter import encounter_resource
from services.fhir.index import SearchIndex
from services.fhir.location import location_by_id
from services.fhir.schedule import schedule_resource
from services.fhir.search import BadSearch
from services.hospital import Hospital

FHIR_JSON = "application/fhir+json"
# The command API route whose role rules a FHIR read follows.
READ_ROUTE = {
    "Encounter": "encounters.read",
    "Location": "beds.read",
    "Appointment": "appointments.read",
    "Slot": "appointments.read",
    "Schedule": "scheduling.availability",
    "Coverage": "appointments.read",
}

router = APIRouter(prefix="/fhir/R4/{facility_id}", tags=["fhir"])
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
FhirId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")]


class Refused(Exception):
    def __init__(self, status: int, code: str, text: str):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def outcome(status: int, code: str, text: str) -> JSONResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


_index_lock = threading.Lock()


def search_index(request: Request) -> SearchIndex:
    """This process's search index over the app's store, caught up now."""
    state = request.app.state
    with _index_lock:
        if getattr(state, "fhir_index", None) is None:
            state.fhir_index = SearchIndex(state.hospital)
    index: SearchIndex = state.fhir_index
    index.catch_up()
    return index


def disclosed_refs(bundle: dict) -> list[str]:
    """`Type/id` of each resource in a searchset, and `Patient/<MRN>` of each patient it shows."""
    refs: list[str] = []

    def patients(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == {"text": "MRN"} and isinstance(value.get("value"), str):
                refs.append(f"Patient/{value['value']}")
            for item in value.values():
                patients(item)
        elif isinstance(value, list):
            for item in value:
                patients(item)

    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        refs.append(f"{resource['resourceType']}/{resource['id']}")
        patients(resource)
    return refs


# OperationOutcome issue codes for the refusals of `base.access.authorize`.
ISSUE_CODES = {401: "login", 403: "forbidden", 422: "invalid"}


def answer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    kind: str,
    build: Callable[[Hospital, bool], dict],
) -> JSONResponse:
    """Authorize, build, and map refusals to OperationOutcome."""
    facility_id = request.path_params["facility_id"]
    route = READ_ROUTE[kind]
    try:
        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, route, facility_id, request.app.state.settings)
        except Denied as denied:
            raise Refused(denied.status, ISSUE_CODES[denied.status], denied.message) from None
        resource_id = ",".join(str(v) for k, v in request.path_params.items() if k != "facility_id")
        record_read(
            request.app.state.hospital,
            principal,
            facility_id,
            f"fhir/{kind}",
            resource_id or str(request.url.query),
            request.client.host if request.client else None,
        )
        body = build(request.app.state.hospital, sees_identity(route, principal.role))
        if body.get("resourceType") == "Bundle":
            record_disclosed(
                request.app.state.hospital,
                principal,
                facility_id,
                f"fhir/{kind}",
                str(request.url.query),
                request.client.host if request.client else None,
                disclosed_refs(body),
            )
    except Refused as refusal:
        return outcome(refusal.status, refusal.code, refusal.text)
    except NotFound as error:
        return outcome(404, "not-found", error.message)
    except BadSearch as error:
        return outcome(400, "invalid", str(error))
    return JSONResponse(body, media_type=FHIR_JSON)


@router.get("/Encounter/{encounter_id}", name="fhir.encounter.read")
def read_encounter(facility_id: str, encounter_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Encounter", lambda h, who: encounter_resource(h, facility_id, encounter_id, who)
    )


@router.get("/Encounter", name="fhir.encounter.search")
def search_encounter(facility_id: str, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Encounter",
        lambda h, who: searchset(
            request, lambda: finders.encounters(h, request, facility_id, who, search_index(request))
        ),
    )


@router.get("/Location/{location_id}", name="fhir.location.read")
def read_location(facility_id: str, location_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Location", lambda h, _: location_by_id(h, facility_id, location_id))


@router.get("/Location", name="fhir.location.search")
def search_location(facility_id: str, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Location",
        lambda h, _: searchset(request, lambda: finders.locations(h, request, facility_id, search_index(request))),
    )


@router.get("/Appointment/{appointment_id}", name="fhir.appointment.read")
def read_appointment(facility_id: str, appointment_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Appointment", lambda h, who: appointment_resource(h, facility_id, appointment_id, who)
    )


@router.get("/Appointment", name="fhir.appointment.search")
def search_appointment(facility_id: str, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Appointment",
        lambda h, who: searchset(
            request, lambda: finders.appointments(h, request, facility_id, who, search_index(request))
        ),
    )


@router.get("/Schedule/{schedule_id}", name="fhir.schedule.read")
def read_schedule(facility_id: str, schedule_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Schedule", lambda h, _: schedule_resource(h, facility_id, schedule_id))


@router.get("/Schedule", name="fhir.schedule.search")
def search_schedule(facility_id: str, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Schedule",
        lambda h, _: searchset(request, lambda: finders.schedules(h, request, facility_id, search_index(request))),
    )


@router.get("/Coverage/{appointment_id}", name="fhir.coverage.read")
def read_coverage(facility_id: str, appointment_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Coverage", lambda h, who: coverage_resource(h, facility_id, appointment_id, who)
    )


@router.get("/Coverage", name="fhir.coverage.search")
def search_coverage(facility_id: str, request: Request, credentials: Credentials):
    def find(hospital, sees_identity: bool) -> dict:
        # Searching by MRN would reveal whose coverage it is to a role that may not know.
        if not sees_identity and {"patient", "beneficiary"} & set(request.query_params):
            raise Refused(403, "forbidden", "this role may not search coverage by patient")
        return searchset(
            request, lambda: finders.coverages(hospital, request, facility_id, sees_identity, search_index(request))
        )

    return answer(request, credentials, "Coverage", find)


@router.get("/Slot", name="fhir.slot.search")
def search_slots(facility_id: str, request: Request, credentials: Credentials):
    """schedule=Schedule/<provider id> (or the bare id), start=YYYY-MM-DD (one UTC day)."""
    return answer(
        request, credentials, "Slot", lambda h, _: searchset(request, lambda: finders.slots(h, request, facility_id))
    )
