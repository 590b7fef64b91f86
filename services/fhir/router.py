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

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials

from base.access import Denied, authorize
from base.permissions import sees_identity
from services.api.deps import bearer
from services.audit.access import record_disclosed, record_read
from services.errors import NotFound
from services.fhir import finders
from services.fhir.appointment import appointment_resource
from services.fhir.bundle import disclosed_refs, searchset
from services.fhir.coverage import coverage_resource
from services.fhir.encounter import encounter_resource
from services.fhir.finders import APPOINTMENT_STATUSES, ENCOUNTER_STATUSES, OPERATIONAL_CODES
from services.fhir.index import search_index
from services.fhir.location import location_by_id
from services.fhir.openapi import DATE, FACILITY_SCHEMA, FhirJSONResponse, query, responses, token
from services.fhir.openapi import search_parameters as searching
from services.fhir.schedule import schedule_resource
from services.fhir.search import BadSearch
from services.hospital import Hospital

# The command API route whose role rules a FHIR read follows.
READ_ROUTE = {
    "Encounter": "encounters.read",
    "Location": "beds.read",
    "Appointment": "appointments.read",
    "Slot": "appointments.read",
    "Schedule": "scheduling.availability",
    "Coverage": "appointments.read",
}

router = APIRouter(prefix="/fhir/R4/{facility_id}", tags=["fhir"], default_response_class=FhirJSONResponse)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
FhirId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
# Checked by `authorize` after the token (a 422 OperationOutcome): documented here, not enforced by FastAPI.
Facility = Annotated[str, Path(description="facility code", json_schema_extra=FACILITY_SCHEMA)]


class Refused(Exception):
    def __init__(self, status: int, code: str, text: str):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def outcome(status: int, code: str, text: str) -> FhirJSONResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return FhirJSONResponse(body, status_code=status)


# OperationOutcome issue codes for the refusals of `base.access.authorize`.
ISSUE_CODES = {401: "login", 403: "forbidden", 422: "invalid"}


def answer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    kind: str,
    build: Callable[[Hospital, bool], dict],
) -> FhirJSONResponse:
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
    return FhirJSONResponse(body)


@router.get("/Encounter/{encounter_id}", name="fhir.encounter.read", responses=responses("Encounter", search=False))
def read_encounter(facility_id: Facility, encounter_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Encounter", lambda h, who: encounter_resource(h, facility_id, encounter_id, who)
    )


@router.get(
    "/Encounter",
    name="fhir.encounter.search",
    responses=responses("Encounter", search=True),
    openapi_extra=searching(
        query("identifier", token(), description="visit number"),
        query("status", token(ENCOUNTER_STATUSES)),
        query("date", DATE),
    ),
)
def search_encounter(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Encounter",
        lambda h, who: searchset(
            request, lambda: finders.encounters(h, request, facility_id, who, search_index(request))
        ),
    )


@router.get("/Location/{location_id}", name="fhir.location.read", responses=responses("Location", search=False))
def read_location(facility_id: Facility, location_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Location", lambda h, _: location_by_id(h, facility_id, location_id))


@router.get(
    "/Location",
    name="fhir.location.search",
    responses=responses("Location", search=True),
    openapi_extra=searching(
        query("identifier", token(), description="bed id"), query("operational-status", token(OPERATIONAL_CODES))
    ),
)
def search_location(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Location",
        lambda h, _: searchset(request, lambda: finders.locations(h, request, facility_id, search_index(request))),
    )


@router.get(
    "/Appointment/{appointment_id}", name="fhir.appointment.read", responses=responses("Appointment", search=False)
)
def read_appointment(facility_id: Facility, appointment_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Appointment", lambda h, who: appointment_resource(h, facility_id, appointment_id, who)
    )


@router.get(
    "/Appointment",
    name="fhir.appointment.search",
    responses=responses("Appointment", search=True),
    openapi_extra=searching(
        query("identifier", token(), description="appointment id"),
        query("status", token(APPOINTMENT_STATUSES)),
        query("date", DATE, description="on the start"),
        query("practitioner", token(), description="Practitioner/<id> or the bare id"),
    ),
)
def search_appointment(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Appointment",
        lambda h, who: searchset(
            request, lambda: finders.appointments(h, request, facility_id, who, search_index(request))
        ),
    )


@router.get("/Schedule/{schedule_id}", name="fhir.schedule.read", responses=responses("Schedule", search=False))
def read_schedule(facility_id: Facility, schedule_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Schedule", lambda h, _: schedule_resource(h, facility_id, schedule_id))


@router.get(
    "/Schedule",
    name="fhir.schedule.search",
    responses=responses("Schedule", search=True),
    openapi_extra=searching(
        query("actor", token(), description="Practitioner/<id> or the bare id"), query("service-type", token())
    ),
)
def search_schedule(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Schedule",
        lambda h, _: searchset(request, lambda: finders.schedules(h, request, facility_id, search_index(request))),
    )


@router.get("/Coverage/{appointment_id}", name="fhir.coverage.read", responses=responses("Coverage", search=False))
def read_coverage(facility_id: Facility, appointment_id: FhirId, request: Request, credentials: Credentials):
    return answer(
        request, credentials, "Coverage", lambda h, who: coverage_resource(h, facility_id, appointment_id, who)
    )


@router.get(
    "/Coverage",
    name="fhir.coverage.search",
    responses=responses("Coverage", search=True),
    openapi_extra=searching(
        query("patient", token(), description="Patient/<MRN> or the bare MRN; 403 for roles that do not see identity"),
        query("beneficiary", token(), description="the same as patient"),
    ),
)
def search_coverage(facility_id: Facility, request: Request, credentials: Credentials):
    def find(hospital, sees_identity: bool) -> dict:
        # Searching by MRN would reveal whose coverage it is to a role that may not know.
        if not sees_identity and {"patient", "beneficiary"} & set(request.query_params):
            raise Refused(403, "forbidden", "this role may not search coverage by patient")
        return searchset(
            request, lambda: finders.coverages(hospital, request, facility_id, sees_identity, search_index(request))
        )

    return answer(request, credentials, "Coverage", find)


@router.get(
    "/Slot",
    name="fhir.slot.search",
    responses=responses("Slot", search=True),
    openapi_extra=searching(
        query("schedule", token(), required=True, description="Schedule/<provider id> or the bare id"),
        query(
            "start",
            {"type": "string", "format": "date"},
            required=True,
            description="one UTC day, YYYY-MM-DD (an eq prefix is allowed)",
        ),
    ),
)
def search_slots(facility_id: Facility, request: Request, credentials: Credentials):
    """schedule=Schedule/<provider id> (or the bare id), start=YYYY-MM-DD (one UTC day)."""
    return answer(
        request, credentials, "Slot", lambda h, _: searchset(request, lambda: finders.slots(h, request, facility_id))
    )
