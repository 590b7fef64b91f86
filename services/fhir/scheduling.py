"""The FHIR routes of scheduling: Schedule and Slot, read and searched.

GET /fhir/R4/{facility}/Schedule/{provider id | room.<id> | department.<id>}
GET /fhir/R4/{facility}/Schedule?actor=&service-type=&active=
GET /fhir/R4/{facility}/Slot/{schedule id}.{type code}.{start}
GET /fhir/R4/{facility}/Slot?schedule=&start=&status=&service-type=
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.fhir import finders
from services.fhir.answering import Credentials, Facility, FhirId, answer
from services.fhir.bundle import searchset
from services.fhir.index import search_index
from services.fhir.openapi import DATE, FhirJSONResponse, query, responses, token
from services.fhir.openapi import search_parameters as searching
from services.fhir.schedule import schedule_resource
from services.fhir.slot import SLOT_STATUSES, TYPE_CODES, slot_by_id
from services.fhir.slot_search import slots

router = APIRouter(tags=["fhir"], default_response_class=FhirJSONResponse)


@router.get("/Schedule/{schedule_id}", name="fhir.schedule.read", responses=responses("Schedule", search=False))
def read_schedule(facility_id: Facility, schedule_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Schedule", lambda h, _: schedule_resource(h, facility_id, schedule_id))


@router.get(
    "/Schedule",
    name="fhir.schedule.search",
    responses=responses("Schedule", search=True),
    openapi_extra=searching(
        query("actor", token(), description="Practitioner/<id> or the bare id"),
        query("service-type", token(set(TYPE_CODES)), description="an appointment type"),
        query("active", token({"true", "false"}), description="every schedule served is active"),
    ),
)
def search_schedule(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Schedule",
        lambda h, _: searchset(request, lambda: finders.schedules(h, request, facility_id, search_index(request))),
    )


@router.get("/Slot/{slot_id}", name="fhir.slot.read", responses=responses("Slot", search=False))
def read_slot(facility_id: Facility, slot_id: FhirId, request: Request, credentials: Credentials):
    return answer(request, credentials, "Slot", lambda h, _: slot_by_id(h, facility_id, slot_id))


@router.get(
    "/Slot",
    name="fhir.slot.search",
    responses=responses("Slot", search=True),
    openapi_extra=searching(
        query("schedule", token(), description="Schedule/<id> or the bare id; every provider and room when absent"),
        query(
            "start",
            DATE,
            description="the slot's start (values ANDed): at most 62 days, a side left open is 62 days from the "
            "other (from today when both are), a wider range is a 422; a date without a time is the schedule's "
            "local day",
        ),
        query("status", token(SLOT_STATUSES)),
        query(
            "service-type", token(set(TYPE_CODES)), description="an appointment type; the schedule's own when absent"
        ),
    ),
)
def search_slots(facility_id: Facility, request: Request, credentials: Credentials):
    return answer(
        request,
        credentials,
        "Slot",
        lambda h, _: searchset(request, lambda: slots(h, request, facility_id, search_index(request))),
    )
