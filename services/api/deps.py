"""Dependencies every route shares: the application, the verified caller
(checked against the permissions table for the route being called), and the
command runner that turns a validated body into a Hospital command."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, ParamSpec

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from base.access import Denied, authorize
from base.auth import AuthError, Principal, verified_before
from base.input_bounds import TimeWindow
from base.permissions import sees_identity
from base.settings import Settings
from events.envelope import Actor
from services.api.errors import Forbidden
from services.api.one_hop import Deferred
from services.api.schemas import CommandBody
from services.application import CommandMethod, Idempotency, call_command
from services.audit.access import record_disclosed, record_read
from services.bounds import refused_as_invalid
from services.errors import Invalid
from services.hospital import Hospital
from services.recording import Meta

# auto_error=False: we answer a missing token ourselves, in our error shape.
bearer = HTTPBearer(auto_error=False, description="JWT from `edflow token` or the hospital identity provider")


# Dependencies that only read the request are `async def`: FastAPI runs a
# plain `def` dependency on a worker thread, a hop per dependency per request.
# Those that may block (an access-log write) stay plain; `authorized` hops
# to a thread only for a token it has not verified before.


async def get_hospital(request: Request) -> Hospital:
    return request.app.state.hospital


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def route_name(request: Request) -> str:
    return request.scope["route"].name


async def authorized(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller, allowed to call this route for this facility; else 401/403/422.
    Reads the raw facility from the path so auth is decided before any body.
    A token verified before is checked on the event loop; a new one on a
    worker thread (verifying it may fetch the issuer's keys)."""
    token = credentials.credentials if credentials is not None else None
    settings = request.app.state.settings
    check = (token, route_name(request), request.path_params.get("facility_id", ""), settings)
    try:
        if token is None or verified_before(settings, token) is not None:
            return authorize(*check)
        return await run_in_threadpool(authorize, *check)
    except Denied as denied:
        raise refusal(denied) from None


def refusal(denied: Denied) -> Exception:
    """The API's own exception for a refusal, answered by `services.api.errors`."""
    if denied.status == 401:
        return AuthError(denied.message)  # 401 with WWW-Authenticate
    if denied.status == 422:
        return Invalid(denied.message, field="facility_id")
    return Forbidden(denied.message)


HospitalDep = Annotated[Hospital, Depends(get_hospital)]
PrincipalDep = Annotated[Principal, Depends(authorized)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="retry-safe key; a retry returns the first result. "
        "Keys starting with 'hl7:' (any case) are reserved for the HL7 interface.",
    ),
]

# The HL7 interface's own keys ("hl7:<sender>:<control id>:...") are never taken over HTTP.
RESERVED_KEY_PREFIX = "hl7:"

P = ParamSpec("P")


class CommandRunner:
    """Runs one Hospital command for the verified caller."""

    def __init__(self, request: Request, hospital: Hospital, principal: Principal, key: str | None):
        self.hospital, self.principal, self.key = hospital, principal, key
        self.route = route_name(request)
        self.path_params = dict(request.path_params)
        self.facility_id = self.path_params["facility_id"]
        self.settings: Settings = request.app.state.settings
        self.window = TimeWindow.of(self.settings)

    def meta(self, body: CommandBody) -> Meta:
        now = datetime.now(UTC)
        if body.occurred_at is not None:
            with refused_as_invalid("occurred_at"):
                self.window.check_event(body.occurred_at, "occurred_at", now)
        return Meta(
            facility_id=self.facility_id,
            occurred_at=body.occurred_at or now,
            actor=Actor(id=self.principal.subject, role=self.principal.role),
            correlation_id=body.correlation_id,
        )

    def __call__(self, command: CommandMethod[P], body: CommandBody, /, *args: P.args, **kwargs: P.kwargs) -> dict:
        """`command(meta, *args, **kwargs)`, e.g. `command(hospital.assign_bed, body, encounter_id, bed_id=...)`:
        the type checker matches the arguments against the Hospital method."""
        idem: Idempotency = {}
        if self.key is not None:
            # The route and path are part of the request: one key reused on
            # another visit or another command is a different request (409).
            # The key is the caller's own: another token subject using the same
            # key gets its own receipt.
            idem = {
                "idempotency_key": self.key,
                "request": {"route": self.route, "path": self.path_params, "body": body.for_idempotency()},
                "idempotency_scope": ("api", self.principal.subject),
            }
        outcome = call_command(command, self.meta(body), idem, *args, **kwargs)
        return {"id": outcome.id, "events": outcome.events}


async def command_runner(
    request: Request, principal: PrincipalDep, idempotency_key: IdempotencyKey = None
) -> CommandRunner:
    if idempotency_key is not None and idempotency_key[:4].lower() == RESERVED_KEY_PREFIX:
        raise Invalid(
            f"Idempotency-Key values starting with {RESERVED_KEY_PREFIX!r} are reserved for the HL7 interface; "
            "choose another key",
            field="Idempotency-Key",
        )
    return CommandRunner(request, request.app.state.hospital, principal, idempotency_key)


Command = Annotated[CommandRunner, Depends(command_runner)]


class ReadAccess(Deferred):
    """A verified caller reading one facility's records."""

    def __init__(self, request: Request, hospital: Hospital, principal: Principal, query: str = ""):
        self.hospital, self.principal = hospital, principal
        self.settings: Settings = request.app.state.settings
        self.facility_id = request.path_params["facility_id"]
        self.sees_identity = sees_identity(route_name(request), principal.role)
        self.route, self.query = route_name(request), query
        self.client = request.client.host if request.client else None
        self.recorded = False

    def record(self) -> None:
        """The access-log record of this read (once)."""
        if not self.recorded:
            record_read(self.hospital, self.principal, self.facility_id, self.route, self.query, self.client)
            self.recorded = True

    def before_endpoint(self) -> None:
        self.record()

    def disclosed(self, refs: Sequence[str]) -> None:
        """Record the records a list returned (`Appointment/<id>`, ...), before it is sent."""
        record_disclosed(self.hospital, self.principal, self.facility_id, self.route, self.query, self.client, refs)


async def read_access(request: Request, principal: PrincipalDep) -> ReadAccess:
    """Every authorised read is recorded in the access log before any data is
    built, so a read that fails half-way is still accounted for; a list also
    records what it returned (`ReadAccess.disclosed`). On a `OneHopRoute` the
    record is written on the endpoint's own worker thread, just before it
    runs; elsewhere on a worker thread of its own, here."""
    params = {k: v for k, v in request.path_params.items() if k != "facility_id"}
    query = ",".join(str(v) for v in params.values()) or str(request.url.query)
    access = ReadAccess(request, request.app.state.hospital, principal, query)
    if not getattr(request.scope["route"], "one_hop", False):
        await run_in_threadpool(access.record)
    return access


Reader = Annotated[ReadAccess, Depends(read_access)]
