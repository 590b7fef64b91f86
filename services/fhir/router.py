"""FHIR R4 read API: Encounter, Location (beds) and Appointment, built from the
write model's stored facts and validated against the R4 resource classes.

    GET /fhir/R4/{facility}/Encounter/{id}        GET /fhir/R4/{facility}/Encounter?identifier=<visit number>
    GET /fhir/R4/{facility}/Location/{id}         GET /fhir/R4/{facility}/Location?identifier=<bed id>
    GET /fhir/R4/{facility}/Appointment/{id}      (id = the appointment id)
    GET /fhir/R4/{facility}/Slot?schedule=<provider id>&start=<YYYY-MM-DD>   (busy slots of that UTC day)
    GET /fhir/R4/{facility}/Schedule/{provider id | room.<id> | department.<id>}
    GET /fhir/R4/{facility}/Coverage/{appointment id}
    GET /fhir/R4/{facility}/$bulk-publish        (no token: free Slots as SMART Scheduling Links)
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

import re

from fastapi import APIRouter, Request

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN
from services.fhir import finders
from services.fhir.answering import READ_ROUTE as READ_ROUTE  # the role rules each FHIR resource follows
from services.fhir.answering import Credentials, Facility, FhirId, Refused, answer, outcome
from services.fhir.appointment import appointment_resource
from services.fhir.booking_routes import router as booking
from services.fhir.bundle import searchset
from services.fhir.capability import capability_statement
from services.fhir.coverage import coverage_resource
from services.fhir.encounter import encounter_resource
from services.fhir.finders import APPOINTMENT_STATUSES, ENCOUNTER_STATUSES, OPERATIONAL_CODES
from services.fhir.index import search_index
from services.fhir.location import location_by_id
from services.fhir.openapi import (
    DATE,
    FHIR_JSON,
    FhirJSONResponse,
    outcome_response,
    query,
    resource_schema,
    responses,
    token,
)
from services.fhir.openapi import search_parameters as searching
from services.fhir.publish_routes import router as published
from services.fhir.scheduling import router as scheduling

router = APIRouter(prefix="/fhir/R4/{facility_id}", tags=["fhir"], default_response_class=FhirJSONResponse)


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


router.include_router(scheduling)
router.include_router(booking)
router.include_router(published)


@router.get(
    "/metadata",
    name="fhir.metadata",
    responses={200: {"description": "the CapabilityStatement (no token needed)",
                     "content": {FHIR_JSON: {"schema": resource_schema("CapabilityStatement")}}},
               422: outcome_response("malformed facility code")},
)  # fmt: skip
def metadata(facility_id: Facility, request: Request):
    """What this server answers: interactions and search parameters of each resource."""
    if not re.fullmatch(FACILITY_ID_PATTERN, facility_id) or len(facility_id) > FACILITY_ID_MAX_LENGTH:
        return outcome(422, "invalid", "malformed facility code")
    url = str(request.url_for("fhir.metadata", facility_id=facility_id)).removesuffix("/metadata")
    return FhirJSONResponse(capability_statement(request.app.openapi()["paths"], url))
