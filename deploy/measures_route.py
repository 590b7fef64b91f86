"""`GET /reports/measures`: the ED's monthly quality measures as CSV or
Excel, for the coordinator's board (and charge nurses, auditors, admin).

The same rows as `edflow report measures` (`projections.measures`). The
server keeps each visit as the board's reducer leaves it and reads only the
events recorded since its last answer, so a report over a year of history
costs one pass over the store once, not one per download. Aggregates only:
no patient is named in the file. Every download is an audited read.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from base.access import Denied, authorize
from base.http import error_response
from base.settings import Settings
from dashboard.app import ERROR_BODY, Credentials, Facility
from projections.entries import EncounterEntry

ROUTE = "reports.measures"
MONTH_PATTERN = r"^[12]\d{3}-(0[1-9]|1[0-2])$"  # years 1000-2999
MAX_MONTHS = 36
MONTH_HELP = "month, YYYY-MM (facility time; a visit counts in the month it left the ED)"
TO_HELP = f"last month, YYYY-MM (default: month); not before month, at most {MAX_MONTHS} months in all"
WHY = {
    401: "missing, expired or invalid token",
    403: "role or facility not allowed",
    422: "malformed facility, month or format, or more than 36 months",
}


class Visits:
    """Each ED visit of every facility, as far as the store has been read."""

    def __init__(self, hospital: Any):
        self.hospital = hospital
        self.position = 0
        self.by_facility: dict[str, dict[str, EncounterEntry]] = {}
        self.lock = threading.Lock()

    def of(self, facility_id: str) -> list[EncounterEntry]:
        from base.store_log import envelopes_after
        from projections.measures import fold_visit

        with self.lock:
            while True:
                page, position = envelopes_after(self.hospital, self.position, limit=5000)
                for envelope in page:
                    fold_visit(self.by_facility.setdefault(envelope.facility_id, {}), envelope)
                if position == self.position:
                    break
                self.position = position
            return list(self.by_facility.get(facility_id, {}).values())


def _month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def measures_router(settings: Settings, hospital: Any) -> APIRouter:
    from projections.measures import COLUMNS, monthly_rows, months_between
    from projections.profile import facility_profiles

    router = APIRouter(tags=["reports"])
    visits = Visits(hospital)
    profile_for = facility_profiles(settings)

    @router.get(
        "/reports/measures",
        name=ROUTE,
        response_class=Response,
        responses={
            200: {
                "description": "one row per month, disposition group and measure, each with its definition",
                "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            },
            **{s: {"description": WHY[s], "content": {"application/json": {"schema": ERROR_BODY}}} for s in WHY},
        },
    )
    async def measures(
        request: Request,
        credentials: Credentials,
        facility: Facility,
        month: Annotated[str, Query(pattern=MONTH_PATTERN, description=MONTH_HELP)],
        to: Annotated[str | None, Query(pattern=MONTH_PATTERN, description=TO_HELP)] = None,
        format: Annotated[Literal["csv", "xlsx"], Query(description="file format")] = "csv",
    ):
        """Monthly ED measures: visit counts, median door-to-provider, OP-18,
        ED-1, ED-2 and the LWBS rate, per disposition group."""
        from services.access.report_files import MEDIA_TYPES, render
        from services.audit.access import record_read

        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, ROUTE, facility, settings)
        except Denied as denied:
            return error_response(denied.status, denied.code, denied.message)
        months = months_between(_month(month), _month(to or month))
        if not months or len(months) > MAX_MONTHS:
            detail = "to is before month" if not months else f"a report covers at most {MAX_MONTHS} months"
            return error_response(422, "invalid", detail, {"fields": [{"field": "to", "message": detail}]})
        client = request.client.host if request.client else None
        span = f"{months[0]}..{months[-1]}"
        await asyncio.to_thread(record_read, hospital, principal, facility, "report/measures", span, client)
        entries = await asyncio.to_thread(visits.of, facility)
        rows = monthly_rows(entries, months, profile_for(facility).timezone)
        body = render("measures", format, COLUMNS, rows)
        name = f"ed-measures-{facility}-{span.replace('..', '-to-')}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
        return Response(body, media_type=MEDIA_TYPES[format], headers=headers)

    return router
