"""The dashboard inside the server process: the board WebSocket, the page,
and two small read endpoints the page uses (facilities, census history).

`attach(app, settings)` adds the routes and runs the board-topic reader for
the app's lifetime; nothing connects until the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Query, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN, Denied, authorize
from base.auth import Principal
from base.http import error_response
from base.settings import Settings
from base.stay_codes import stay_code_key
from dashboard.board_feed import BoardFeed
from dashboard.board_socket import BoardAudit, serve_board
from dashboard.fanout import Fanout
from dashboard.hallway import hallway_view
from dashboard.hallway_socket import serve_hallway
from dashboard.heartbeat import watch
from dashboard.subscriber import Tuning

log = logging.getLogger("edflow.dashboard")
STATIC = Path(__file__).parent / "static"
SHUTDOWN_SECONDS = 10.0
# The page loads only its own files and talks only to its own origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# The same scheme as the command API's (one `HTTPBearer` in the OpenAPI document);
# auto_error=False: a missing token is answered in the board's own error body.
bearer = HTTPBearer(auto_error=False, description="JWT from `edflow token` or the hospital identity provider")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
# Checked by `authorize` after the token, so documented rather than enforced here.
Facility = Annotated[
    str,
    Query(
        description="facility code",
        json_schema_extra={"minLength": 1, "maxLength": FACILITY_ID_MAX_LENGTH, "pattern": FACILITY_ID_PATTERN},
    ),
]
ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
        }
    },
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    why = {
        401: "missing, expired or invalid token",
        403: "role or facility not allowed",
        404: "no board for this facility yet",
        422: "malformed facility code",
    }
    return {s: {"description": why[s], "content": {"application/json": {"schema": ERROR_BODY}}} for s in statuses}


def attach(app: FastAPI, settings: Settings, tuning: Tuning | None = None, audit: BoardAudit | None = None) -> Fanout:
    """`audit` records each board subscription (the composition root hands in the access log)."""
    fanout = Fanout(tuning or Tuning(tick_seconds=settings.board_tick_seconds))
    feed = BoardFeed(settings, fanout)
    app.state.board_fanout = fanout
    _run_during_lifespan(app, feed)
    app.include_router(_routes(settings, fanout, audit))
    app.mount("/board/static", StaticFiles(directory=STATIC), name="board-static")
    return fanout


class BoardSource(Protocol):
    """What the server runs beside its routes: a feed filling the fan-out."""

    fanout: Fanout

    async def run(self) -> None: ...


def _run_during_lifespan(app: FastAPI, feed: BoardSource) -> None:
    outer = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app):
        async with outer(scope_app) as state:
            tasks = [
                asyncio.create_task(feed.run(), name="board-feed"),
                asyncio.create_task(watch(feed.fanout), name="board-heartbeat"),
            ]
            for task in tasks:
                task.add_done_callback(_report_crash)
            try:
                yield state
            finally:
                for task in tasks:
                    task.cancel()
                # A Kafka client stuck in its close must not keep the server from stopping.
                _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
                if stuck:
                    log.error(
                        "dashboard tasks %s did not stop within %.0f s of shutdown; leaving them",
                        sorted(t.get_name() for t in stuck),
                        SHUTDOWN_SECONDS,
                    )

    app.router.lifespan_context = lifespan


def _report_crash(task: asyncio.Task) -> None:
    # The board stops moving if either task dies: say so loudly, with the cause.
    if not task.cancelled() and task.exception() is not None:
        log.error(
            "dashboard task %s crashed; the board is no longer updated", task.get_name(), exc_info=task.exception()
        )


def _routes(settings: Settings, fanout: Fanout, audit: BoardAudit | None) -> APIRouter:
    router = APIRouter(tags=["board"])
    hallway_key = stay_code_key(settings)

    def caller(
        credentials: HTTPAuthorizationCredentials | None, route: str, facility: str | None = None
    ) -> Principal | JSONResponse:
        """The verified caller, allowed on this route for this facility, or the error response to send instead."""
        token = credentials.credentials if credentials is not None else None
        try:
            return authorize(token, route, facility, settings)
        except Denied as denied:
            return error_response(denied.status, denied.code, denied.message)

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @router.get("/scheduler", include_in_schema=False)
    async def scheduler_page() -> FileResponse:
        return FileResponse(STATIC / "scheduler.html", headers=PAGE_HEADERS)

    @router.get("/beds", include_in_schema=False)
    async def beds_page() -> FileResponse:
        """The bed manager's placement page."""
        return FileResponse(STATIC / "beds.html", headers=PAGE_HEADERS)

    @router.get("/board/facilities", responses=_errors(401, 403))
    async def facilities(credentials: Credentials):
        """Facilities with a board that this token may watch."""
        principal = caller(credentials, "board.facilities")
        if isinstance(principal, JSONResponse):
            return principal
        return {"facilities": [f for f in fanout.facilities() if principal.may_act_for(f)]}

    @router.get("/board/history", responses=_errors(401, 403, 422))
    async def history(facility: Facility, credentials: Credentials):
        """Census and waiting count over the last 24 hours of event time, one point a minute at most."""
        principal = caller(credentials, "board.history", facility)
        if isinstance(principal, JSONResponse):
            return principal
        board = fanout.boards.get(facility)
        points = list(board.history) if board else []
        return {
            "facility": facility,
            "points": [{"at": at.isoformat(), "census": census, "waiting": waiting} for at, census, waiting in points],
        }

    @router.get("/board/hallway", responses=_errors(401, 403, 404, 422))
    async def hallway(facility: Facility, credentials: Credentials):
        """The public hallway screen: per-stay codes, stage and a wait band; no PHI."""
        principal = caller(credentials, "board.hallway", facility)
        if isinstance(principal, JSONResponse):
            return principal
        board = fanout.boards.get(facility)
        if board is None or board.seq is None:
            return error_response(404, "not_found", f"no board for facility {facility} yet")
        stays = hallway_view(hallway_key, list(board.entities.values()), board.as_of)
        return {"facility": facility, "as_of": board.as_of and board.as_of.isoformat(), "stays": stays}

    @router.get("/hallway", include_in_schema=False)
    async def hallway_page() -> FileResponse:
        return FileResponse(STATIC / "hallway.html", headers=PAGE_HEADERS)

    @router.get("/auditor", include_in_schema=False)
    async def auditor_page() -> FileResponse:
        return FileResponse(STATIC / "auditor.html", headers=PAGE_HEADERS)

    @router.websocket("/ws/hallway")
    async def hallway_socket(websocket: WebSocket) -> None:
        await serve_hallway(websocket, settings, fanout, hallway_key)

    @router.websocket("/ws/board")
    async def board_socket(websocket: WebSocket) -> None:
        await serve_board(websocket, settings, fanout, audit)

    return router
