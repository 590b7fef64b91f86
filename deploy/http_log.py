"""The access log of `edflow serve`, free of patient data.

uvicorn's own access log writes every request line with its query string, and
the API's searches carry identity there (`Coverage?patient=<MRN>`,
`Encounter?identifier=<visit number>`). So `edflow serve` turns it off and
logs, for each request, the method, the route's template
(`/fhir/R4/{facility_id}/Coverage`, `/api/v1/facilities/{facility_id}/encounters/{encounter_id}`),
the status and the time taken: never a query string, never a path id (a
visit number, MRN or appointment id in a path stays out too: every path
parameter is logged as its name). A path no route matched is logged as
`(no route)`: it may hold anything.

uvicorn also logs each WebSocket handshake with its query string on
`uvicorn.error`; `NoWebSocketLines` drops those lines (ours replace them).
"""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("edflow.http")
UNMATCHED = "(no route)"


def route_template(scope: Scope) -> str:
    """The request's path as its route's template: every path parameter the
    router bound (`{encounter_id}`, `{facility_id}`) stands in for its value.
    Read from the scope the router filled in, after the app has run."""
    if "endpoint" not in scope:
        return UNMATCHED
    if "route" not in scope:  # a mounted app (the board's static files)
        return scope.get("root_path", "") + "/{path}"
    path = scope.get("path", "")
    params = scope.get("path_params") or {}
    for name, value in sorted(params.items(), key=lambda item: -len(str(item[1]))):
        text = str(value)
        if text:
            # Parameter names are identifiers: nothing in them for re.sub to expand.
            path = re.sub(r"(?<=/)" + re.escape(text) + r"(?=/|$)", "{" + name + "}", path)
    return path or "/"


class AccessLog:
    """ASGI middleware: one INFO line per request or WebSocket handshake on `edflow.http`."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        logged = False

        def write(code: int | None) -> None:
            nonlocal logged
            logged = True
            client = scope.get("client")
            host = client[0] if client else "-"
            method = scope.get("method", "WebSocket")
            elapsed = (time.perf_counter() - started) * 1000
            log.info('%s - "%s %s" %s %.1fms', host, method, route_template(scope), code or 500, elapsed)

        async def sending(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                status = message["status"]
            elif kind == "websocket.accept" and not logged:
                write(101)
            elif kind == "websocket.close" and not logged:
                write(403)  # closed before it was accepted: refused
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not logged:
                write(status)


class NoWebSocketLines(logging.Filter):
    """Drops uvicorn's `"WebSocket <path>?<query>"` lines: `AccessLog` logs the handshake."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and '"WebSocket %s"' in record.msg)


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging setup, with its access log replaced by `edflow.http`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"no_websocket_lines": {"()": NoWebSocketLines}}
    config["loggers"]["uvicorn.error"]["filters"] = ["no_websocket_lines"]
    config["loggers"].pop("uvicorn.access", None)
    config["handlers"]["edflow_http"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["edflow.http"] = {"handlers": ["edflow_http"], "level": level.upper(), "propagate": False}
    return config
