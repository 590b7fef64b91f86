"""The auditor's page's other reads: the access log (filterable, as CSV
too), one visit's timeline, and the state of the event chain (verified now).

Each is for roles `auditor` and admin, and each is itself an audited read:
on the access log before anything is read.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from base.access import Denied, authorize
from base.auth import Principal
from base.http import error_response
from base.settings import Settings

ROUTE = "board.replay"  # the same readers as the board at any instant
LIMIT = 1000  # newest entries per answer
COLUMNS = ("at", "facility_id", "actor_id", "role", "action", "resource", "resource_id", "client", "purpose")
bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
Facility = Annotated[str, Query(min_length=1, max_length=64)]


def audit_router(settings: Settings, hospital: Any) -> APIRouter:
    router = APIRouter(tags=["audit"])

    async def admitted(
        request: Request, credentials: HTTPAuthorizationCredentials | None, facility: str, what: str, detail: str
    ) -> Principal | JSONResponse:
        from services.audit.access import record_read

        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, ROUTE, facility, settings)
        except Denied as denied:
            return error_response(denied.status, denied.code, denied.message)
        client = request.client.host if request.client else None
        await asyncio.to_thread(record_read, hospital, principal, facility, what, detail, client)
        return principal

    @router.get("/audit/access", include_in_schema=False)
    async def access(
        request: Request,
        credentials: Credentials,
        facility: Facility,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        record: Annotated[str | None, Query(max_length=200)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        format: Literal["json", "csv"] = "json",
    ):
        """Who read which record, when, from where; newest first."""
        from services.audit.access import access_log

        query = f"actor={actor or ''},record={record or ''},since={since or ''},until={until or ''}"
        principal = await admitted(request, credentials, facility, "audit.access", query)
        if isinstance(principal, JSONResponse):
            return principal

        def rows() -> list[dict[str, str]]:
            found = access_log(
                hospital, facility_id=facility, actor_id=actor, resource_id=record, since=since, until=until
            )
            entries = sorted(found, key=lambda e: e.at, reverse=True)[:LIMIT]
            return [
                {c: (getattr(e, c).isoformat() if c == "at" else str(getattr(e, c))) for c in COLUMNS} for e in entries
            ]

        found = await asyncio.to_thread(rows)
        if format == "json":
            return {"facility": facility, "entries": found, "limit": LIMIT}
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(found)
        disposition = f'attachment; filename="access-{facility}.csv"'
        return Response(out.getvalue(), media_type="text/csv", headers={"Content-Disposition": disposition})

    @router.get("/audit/timeline", include_in_schema=False)
    async def timeline(
        request: Request,
        credentials: Credentials,
        facility: Facility,
        visit: Annotated[str, Query(min_length=1, max_length=64)],
    ):
        """Every event of one visit: occurred and recorded time, actor and role,
        corrections linked to what they corrected; and the MRN it carries now,
        to open the patient's timeline."""
        from services.audit.timeline import visit_mrn, visit_timeline
        from services.errors import NotFound

        principal = await admitted(request, credentials, facility, "timeline", visit)
        if isinstance(principal, JSONResponse):
            return principal
        try:
            events = await asyncio.to_thread(visit_timeline, hospital, facility, visit)
        except NotFound as missing:
            return error_response(404, "not_found", str(missing))
        mrn = await asyncio.to_thread(visit_mrn, hospital, facility, visit)
        return {"facility": facility, "visit": visit, "mrn": mrn, "events": events}

    @router.get("/audit/chain", include_in_schema=False)
    async def chain(request: Request, credentials: Credentials, facility: Facility):
        """Verify the event chain now: how far it is intact, and the newest checkpoint."""
        principal = await admitted(request, credentials, facility, "audit.chain", "verify")
        if isinstance(principal, JSONResponse):
            return principal
        return await asyncio.to_thread(chain_state, settings, hospital)

    return router


def chain_state(settings: Settings, hospital: Any) -> dict[str, Any]:
    from services.audit import checkpoints
    from services.audit.keys import AuditConfigError, checkpoint_path
    from services.audit.verify import verify

    try:
        known = checkpoints.load(checkpoint_path(settings))
        report = verify(hospital, known)
    except AuditConfigError as error:
        return {"state": "cannot verify", "detail": str(error)}
    newest = max(known, key=lambda c: c.position, default=None)
    state = "cannot verify" if report.unverifiable else "not intact" if report.problem else "intact"
    return {
        "state": state,
        "detail": report.unverifiable or (report.problem.detail if report.problem else ""),
        "checked": report.checked,
        "verified_up_to": report.head_id if state == "intact" else None,
        "keyed_from": report.keyed_from,
        "last_checkpoint": None if newest is None else {"position": newest.position, "at": newest.at},
    }
