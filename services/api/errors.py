"""Every refusal in one shape: {"error": {"code", "message", "details"}}.

Domain errors map by class (NotFound 404, Conflict 409, Invalid 422), request
validation to 422 with one entry per bad field, tokens to 401, roles and
facilities to 403. An unexpected exception is logged by type and route only
(request bodies carry patient data) and answered 500 as a last resort.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from base.auth import AuthError
from base.http import error_response
from services.errors import Conflict, DomainError, Invalid, NotFound, PayerUnavailable

log = logging.getLogger("edflow.api")

METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    502: "bad_gateway",
    504: "gateway_timeout",
}


class Forbidden(Exception):
    """The caller is known but may not do this (role or facility)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def field_path(loc: tuple | list) -> str:
    """('body', 'patient', 'sex') -> 'patient.sex'; list indexes as [n]."""
    parts = [p for p in loc if p not in ("body", "path", "query", "header")]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    fields = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "malformed JSON")
            fields.append({"field": "body", "message": f"body is not valid JSON: {reason}"})
            continue
        message = str(item.get("msg", "invalid value"))
        # Pydantic prefixes custom validator messages with "Value error, ".
        message = message.removeprefix("Value error, ")
        fields.append({"field": field_path(tuple(item.get("loc", ()))), "message": message})
    return fields


async def on_validation_error(request: Request, error: RequestValidationError):
    fields = _field_errors(error)
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
    return error_response(422, "invalid", f"request is invalid: {summary}", {"fields": fields})


async def on_domain_error(request: Request, error: DomainError):
    details = {k: v for k, v in error.details.items() if isinstance(v, (str, int, float, bool)) or v is None}
    if isinstance(error, PayerUnavailable):
        return error_response(error.status, error.code, error.message, details)
    if isinstance(error, NotFound):
        return error_response(404, error.code, error.message, details)
    if isinstance(error, Conflict):
        return error_response(409, error.code, error.message, details)
    if isinstance(error, Invalid):
        field = str(details.get("field", "body"))
        return error_response(
            422, "invalid", error.message, {**details, "fields": [{"field": field, "message": error.message}]}
        )
    return error_response(409, error.code, error.message, details)


async def on_auth_error(request: Request, error: AuthError):
    return error_response(401, "unauthorized", error.reason, headers={"WWW-Authenticate": 'Bearer realm="edflow"'})


async def on_forbidden(request: Request, error: Forbidden):
    return error_response(403, "forbidden", error.message)


async def on_http_error(request: Request, error: StarletteHTTPException):
    if error.status_code == 400:
        # FastAPI's only 400: a body it could not decode at all (e.g. not UTF-8).
        message = "body is not valid JSON (it could not be decoded)"
        return error_response(422, "invalid", message, {"fields": [{"field": "body", "message": message}]})
    if error.status_code == 404 and error.detail == "Not Found":
        return error_response(404, "not_found", f"no API route at {request.method} {request.url.path}")
    code = HTTP_CODES.get(error.status_code, "error")
    message = error.detail if isinstance(error.detail, str) else code.replace("_", " ")
    headers = getattr(error, "headers", None)
    if error.status_code == 405:
        # Starlette names only the methods of the first route matching the path.
        headers = {**(headers or {}), "Allow": ", ".join(_methods_at(request))}
    return error_response(error.status_code, code, message, headers=headers)


def _methods_at(request: Request) -> list[str]:
    """Every method some route of the app answers at this request's path."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


async def on_store_unavailable(request: Request, error: Exception):
    log.warning("event store unavailable on %s %s: %s", request.method, _route_of(request), type(error).__name__)
    return error_response(
        503,
        "store_unavailable",
        "the event store is busy or unreachable; nothing was recorded, try again",
        headers={"Retry-After": "1"},
    )


async def on_unexpected(request: Request, error: Exception):
    # Type, route and where it was raised only: messages, bodies and local
    # values may contain patient data, so no message and no traceback text.
    log.error(
        "unexpected %s on %s %s at %s", type(error).__name__, request.method, _route_of(request), _raised_at(error)
    )
    return error_response(500, "internal", "unexpected server error; it was logged")


def _raised_at(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    return f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"


def _route_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "?")


E = TypeVar("E", bound=Exception)
Handler = Callable[[Request, Exception], Awaitable[Response]]


def handles(handler: Callable[[Request, E], Awaitable[Any]]) -> Handler:
    """Starlette's handler type takes any exception; it calls each handler only
    with the class it was registered for, which the narrower signature states."""
    return cast(Handler, handler)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, handles(on_validation_error))
    app.add_exception_handler(DomainError, handles(on_domain_error))
    app.add_exception_handler(AuthError, handles(on_auth_error))
    app.add_exception_handler(Forbidden, handles(on_forbidden))
    app.add_exception_handler(StarletteHTTPException, handles(on_http_error))
    # Pool exhausted, lock timeout, connection lost: the store said no, try again.
    app.add_exception_handler(OperationalError, on_store_unavailable)
    app.add_exception_handler(InterfaceError, on_store_unavailable)
    app.add_exception_handler(Exception, on_unexpected)
