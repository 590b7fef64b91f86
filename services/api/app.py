"""The HTTP command API: one FastAPI app, one router per resource, all under
/api/v1/facilities/{facility_id}. Docs at /docs when `EDFLOW_API_DOCS` is on
(`services/api/docs.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Path
from fastapi.routing import APIRoute

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN
from base.permissions import ALLOWED
from base.settings import Settings
from events.work_queue import WorkQueueSource
from services.access.payer_http import payer_checker
from services.api import (
    appointments,
    beds,
    contacts,
    docs,
    encounters,
    errors,
    patients,
    placement,
    scheduling,
    scheduling_directory,
    scheduling_grids,
    scheduling_reports,
)
from services.api.limits import BODY_METHODS, BodyLimits
from services.api.replies import BODY_RESPONSES
from services.hospital import Hospital

API_PREFIX = "/api/v1/facilities/{facility_id}"
FacilityId = Annotated[
    str,
    Path(min_length=1, max_length=FACILITY_ID_MAX_LENGTH, pattern=FACILITY_ID_PATTERN, description="facility code"),
]

TAGS = [
    {"name": "encounters", "description": "ED visits: arrival, triage, beds, disposition, corrections."},
    {"name": "beds", "description": "Beds and their cleaning and blocking cycle."},
    {"name": "appointments", "description": "Scheduling without double bookings; check-in; insurance."},
    {"name": "contacts", "description": "The contact log: calls, e-mails, letters, texts; call-backs."},
    {"name": "patients", "description": "The patient index: search, one record per MRN, corrections, merges."},
]


async def _facility(facility_id: FacilityId) -> str:
    """Validates the facility segment of every path (422 on a malformed code)."""
    return facility_id


def create_app(
    settings: Settings,
    hospital: Hospital | None = None,
    work_queue: Callable[[Hospital], WorkQueueSource] | None = None,
) -> FastAPI:
    """The API over `hospital` (opened from settings when not given).
    `work_queue` builds the reader behind the scheduler's work queue and
    reports; without it those routes answer 503."""
    owns_hospital = hospital is None
    hospital = hospital if hospital is not None else Hospital(settings)
    payer = payer_checker(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if payer is not None:
            payer[1].close()
        if owns_hospital:
            hospital.close()

    app = FastAPI(
        title="edflow command API",
        version="1",
        description="Commands and current state for ED visits, beds and appointments. "
        "Authenticate with `Authorization: Bearer <token>`; retry safely with `Idempotency-Key`.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        # FastAPI's docs pages load their scripts from a CDN and its schema
        # route is open to anyone: ours replace them when asked for.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.hospital = hospital
    app.state.work_queue = work_queue(hospital) if work_queue is not None else None
    app.state.payer = payer  # None: insurance is verified by hand
    facility = APIRouter(prefix=API_PREFIX, dependencies=[Depends(_facility)])
    modules = (encounters, beds, placement, appointments, contacts, patients, scheduling, scheduling_reports)
    for module in (*modules, scheduling_directory, scheduling_grids):
        _check_every_route_has_permissions(module.router)
        _document_body_limits(module.router)
        facility.include_router(module.router)
    app.include_router(facility)
    if settings.api_docs:
        docs.install(app)
    errors.install(app)
    app.add_middleware(BodyLimits)
    return app


def _check_every_route_has_permissions(router: APIRouter) -> None:
    for route in router.routes:
        if isinstance(route, APIRoute) and route.name not in ALLOWED:
            raise RuntimeError(f"route {route.name} ({route.path}) has no entry in base/permissions.py")


def _document_body_limits(router: APIRouter) -> None:
    """Routes that take a body may also answer what `BodyLimits` refuses (413, 415)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.methods and route.methods & BODY_METHODS:
            route.responses = {**BODY_RESPONSES, **route.responses}
