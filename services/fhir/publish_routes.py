"""The published free time: `GET /fhir/R4/{facility}/$bulk-publish`, the
SMART Scheduling Links manifest, and the three NDJSON files it lists.

No token is needed (public directories poll it): what it serves is built in
`services/fhir/publish.py` and holds no patient data. A facility with no
provider schedule is a 404 OperationOutcome, whatever else is recorded for
it, so the route tells no more than what is published.

The files of one facility are derived once per change of the event log and
per minute (and kept for the next requests), so polling costs one lookup;
a booking is in the store's log before it is answered, so the next fetch
after it derives new files. `transactionTime` (and `Last-Modified`) is when
the published content last changed; each answer has an `ETag` and
`If-None-Match` gets a 304 (the manifest's is weak: its `request` is the
URL asked).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN
from base.facility import Facility, FacilityError, load_facility
from services.fhir.answering import Facility as FacilityPath
from services.fhir.answering import outcome
from services.fhir.history import instant
from services.fhir.index import search_index
from services.fhir.openapi import outcome_response
from services.fhir.publish import HORIZON_DAYS, KINDS, Published, publish

NDJSON = "application/fhir+ndjson"
KEPT_FACILITIES = 32
router = APIRouter(tags=["fhir"])


class Snapshot(NamedTuple):
    key: tuple[int, datetime]  # (event log position, minute) it was derived at
    published: Published
    changed_at: datetime  # when this content was first derived


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _facility_file(path: Path) -> Facility | None:
    try:
        return load_facility(path)
    except FacilityError:  # names and booking details are then the ids alone
        return None


def _snapshot(request: Request, facility_id: str) -> Snapshot | None:
    """The facility's files, derived again when the log moved or a minute passed."""
    state = request.app.state
    now = datetime.now(UTC)
    index = search_index(request)
    key = (index.position, now.replace(second=0, microsecond=0))
    with _lock:  # one derivation at a time; the others then find it kept
        kept_by_facility: OrderedDict[str, Snapshot] = getattr(state, "fhir_published", None) or OrderedDict()
        state.fhir_published = kept_by_facility
        kept = kept_by_facility.get(facility_id)
        if kept is not None and kept.key == key:
            return kept
        facility = _facility_file(state.settings.facility_config)
        published = publish(state.hospital, index, facility_id, facility, now)
        if published is None:
            kept_by_facility.pop(facility_id, None)
            return None
        unchanged = kept is not None and kept.published.digest == published.digest
        changed_at = kept.changed_at if kept is not None and unchanged else now.replace(microsecond=0)
        snapshot = kept_by_facility[facility_id] = Snapshot(key, published, changed_at)
        kept_by_facility.move_to_end(facility_id)
        while len(kept_by_facility) > KEPT_FACILITIES:
            kept_by_facility.popitem(last=False)
        return snapshot


def _found(request: Request, facility_id: str) -> Snapshot | Response:
    if not re.fullmatch(FACILITY_ID_PATTERN, facility_id) or len(facility_id) > FACILITY_ID_MAX_LENGTH:
        return outcome(422, "invalid", "malformed facility code")
    snapshot = _snapshot(request, facility_id)
    if snapshot is None:
        return outcome(404, "not-found", f"no free time is published for facility {facility_id}")
    return snapshot


def _answer(request: Request, body: bytes, media_type: str, etag: str, changed_at: datetime) -> Response:
    headers = {"ETag": etag, "Last-Modified": format_datetime(changed_at, usegmt=True), "Cache-Control": "no-cache"}
    asked = request.headers.get("if-none-match", "")
    if etag in [tag.strip() for tag in asked.split(",")] or asked.strip() == "*":
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _file_url(request: Request, facility_id: str, kind: str) -> str:
    return str(request.url_for(f"fhir.bulk-publish.{kind.lower()}", facility_id=facility_id))


HEADERS = [
    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "the ETag of an earlier answer: 304 when nothing changed"},
]  # fmt: skip
REFUSED: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified since the answer whose ETag was sent"},
    400: outcome_response("a query parameter other than _since (issue code invalid)"),
    404: outcome_response("the facility publishes no free time (no provider has a schedule there)"),
    422: outcome_response("malformed facility code"),
}
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["transactionTime", "request", "output", "error"],
    "properties": {
        "transactionTime": {"type": "string"},
        "request": {"type": "string"},
        "output": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "url"],
                "properties": {"type": {"enum": list(KINDS)}, "url": {"type": "string"}},
            },
        },
        "error": {"type": "array", "maxItems": 0},
    },
}


@router.get(
    "/$bulk-publish",
    name="fhir.bulk-publish",
    response_class=JSONResponse,
    responses={200: {"description": "the SMART Scheduling Links manifest (no token needed)",
                     "content": {"application/json": {"schema": MANIFEST_SCHEMA}}}, **REFUSED},
    openapi_extra={"parameters": [
        *HEADERS,
        {"name": "_since", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "accepted and ignored: the whole data set is always listed; any other parameter is a 400"},
    ]},
)  # fmt: skip
def bulk_publish(facility_id: FacilityPath, request: Request):
    """Free time of the next days as SMART Scheduling Links: the manifest of the Location, Schedule and Slot files."""
    unknown = sorted(set(request.query_params) - {"_since"})
    if unknown:
        return outcome(400, "invalid", f"unsupported parameter: {unknown[0]} (only _since, which is ignored)")
    found = _found(request, facility_id)
    if isinstance(found, Response):
        return found
    manifest = {
        "transactionTime": instant(found.changed_at),
        "request": str(request.url),
        "output": [{"type": kind, "url": _file_url(request, facility_id, kind)} for kind in KINDS],
        "error": [],
    }
    body = JSONResponse(manifest).body
    # Weak: the same data set whatever `request` (the URL asked) says.
    return _answer(request, bytes(body), "application/json", f'W/"{found.published.digest[:32]}"', found.changed_at)


def _file_route(kind: str) -> None:
    what = {"Location": "the clinics (one per department whose providers have schedules)",
            "Schedule": "each provider's schedule: appointment types and clinic",
            "Slot": f"the free slots of the next {HORIZON_DAYS} days, with the booking extensions"}[kind]  # fmt: skip

    def published_file(facility_id: FacilityPath, request: Request):
        found = _found(request, facility_id)
        if isinstance(found, Response):
            return found
        body = found.published.files[kind]
        return _answer(request, body, NDJSON, f'"{kind.lower()}-{found.published.digest[:32]}"', found.changed_at)

    published_file.__doc__ = f"Published {kind} resources, one a line: {what}."
    router.add_api_route(
        f"/$bulk-publish/{kind}.ndjson",
        published_file,
        methods=["GET"],
        name=f"fhir.bulk-publish.{kind.lower()}",
        responses={200: {"description": f"{kind} resources as NDJSON (no token needed)",
                         "content": {NDJSON: {"schema": {"type": "string"}}}},
                   **{status: answer for status, answer in REFUSED.items() if status != 400}},
        openapi_extra={"parameters": HEADERS},
    )  # fmt: skip


for _kind in KINDS:
    _file_route(_kind)
