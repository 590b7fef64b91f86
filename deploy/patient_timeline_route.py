"""`GET /audit/patient-timeline`: one patient's events across visits and
appointments (by MRN within a facility), for auditors.

An audited read: the MRN asked for is on the access log before the history
is read, and the visits and appointments it returned before they are sent.
Documented in the OpenAPI document (unlike the page's other reads), as its
answer is a contract: `edflow audit timeline --mrn` prints the same rows.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from base.access import Denied, authorize
from base.http import error_response
from base.settings import Settings
from dashboard.app import ERROR_BODY, Credentials, Facility

ROUTE = "audit.patient-timeline"
RESOURCE = "patient-timeline"  # as the access log names the read
WHY = {
    401: "missing, expired or invalid token",
    403: "role or facility not allowed",
    404: "no visit or appointment with that MRN in this facility",
    422: "malformed MRN, facility or order",
}
MRN_HELP = (
    "medical record number, as registered; 1 to 64 characters, "
    "no control, bidirectional or invisible characters (surrounding spaces are ignored)"
)


class Change(BaseModel):
    field: str
    before: Any = None
    after: Any = None
    set_by: str  # event id of the event whose value this replaces ('' when none set it)


class CorrectedBy(BaseModel):
    event_id: str
    position: int
    type: str
    actor: str
    role: str
    recorded_at: str
    after: str  # how long after the corrected event was recorded, e.g. '3 h'


class TimelineEvent(BaseModel):
    position: int
    event_id: str
    kind: Literal["visit", "appointment", "patient"]
    record_id: str
    reference: str  # the visit number, the appointment id, or the patient record's MRN
    type: str
    occurred_at: str
    recorded_at: str
    actor: str
    role: str
    aggregate: str
    summary: str
    detail: str
    late: bool  # recorded at least 2 minutes after it happened
    late_by_minutes: int
    correction: bool
    corrects: list[str]  # event ids of the events whose values it replaces
    changes: list[Change]
    correction_note: str
    corrected_by: list[CorrectedBy]


class TimelineRecord(BaseModel):
    kind: Literal["visit", "appointment", "patient"]
    record_id: str
    reference: str


class PatientTimeline(BaseModel):
    facility: str
    mrn: str
    surviving_mrn: str  # the record the MRN leads to in the patient index (itself unless merged)
    by: Literal["occurred", "recorded"]
    records: list[TimelineRecord]
    events: list[TimelineEvent]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"description": WHY[s], "content": {"application/json": {"schema": ERROR_BODY}}} for s in statuses}


def patient_timeline_router(settings: Settings, hospital: Any) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/audit/patient-timeline",
        name=ROUTE,
        response_model=PatientTimeline,
        responses=_errors(401, 403, 404, 422),
    )
    async def patient_timeline(
        request: Request,
        credentials: Credentials,
        facility: Facility,
        mrn: Annotated[str, Query(min_length=1, max_length=64, pattern=r"\S", description=MRN_HELP)],
        by: Annotated[Literal["occurred", "recorded"], Query(description="order by this time")] = "occurred",
    ):
        """Every event of every visit and appointment that carried the MRN (or an
        MRN merged with it in the patient index, and the records' own changes
        and merges), in order of `by`: occurred and recorded time, actor and
        role, a summary, and each correction linked to the event it corrected
        with the values before and after. Roles `auditor` and admin; an audited read."""
        from services.audit.access import record_disclosed, record_read
        from services.audit.timeline import check_mrn, merge_group
        from services.audit.timeline import patient_timeline as build
        from services.errors import Invalid, NotFound

        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, ROUTE, facility, settings)
        except Denied as denied:
            return error_response(denied.status, denied.code, denied.message)
        try:
            mrn = check_mrn(mrn)
        except Invalid as invalid:
            return error_response(
                422, "invalid", invalid.message, {"fields": [{"field": "mrn", "message": invalid.message}]}
            )
        client = request.client.host if request.client else None
        await asyncio.to_thread(record_read, hospital, principal, facility, RESOURCE, mrn, client)
        try:
            records, events = await asyncio.to_thread(build, hospital, facility, mrn, by)
        except NotFound as missing:
            return error_response(404, "not_found", missing.message)
        refs = [record.ref() for record in records]
        await asyncio.to_thread(record_disclosed, hospital, principal, facility, RESOURCE, mrn, client, refs)
        survivor = (await asyncio.to_thread(merge_group, hospital, facility, mrn))[0]
        body = PatientTimeline(facility=facility, mrn=mrn, surviving_mrn=survivor, by=by,
                               records=[r.fields() for r in records], events=events)  # fmt: skip
        return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})

    return router
