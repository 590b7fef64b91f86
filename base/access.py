"""The one authorization path every way in takes: bearer token -> verified
caller -> role allowed on the route (`base/permissions.py`) -> facility id
well formed -> token valid for that facility.

`authorize()` answers the verified `Principal` or raises `Denied` carrying
the HTTP status, the error code of the JSON error body and a message safe to
show the caller. Each way in turns a `Denied` into its own answer: the API and
the board routes a JSON error body, FHIR an OperationOutcome, the board
WebSocket a 1008 close with the message as its reason.
"""

from __future__ import annotations

import re
from typing import Literal

from base.auth import AuthError, Principal, verify_token
from base.permissions import is_allowed
from base.settings import Settings

# Facility ids end up in URL paths, event metadata, Kafka keys and page
# headings: a letter or digit, then letters, digits, `.`, `_` or `-`; 64 at most.
FACILITY_ID_MAX_LENGTH = 64
# In the form the API's OpenAPI documents it (with maxLength beside it).
FACILITY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_FACILITY_ID = re.compile(FACILITY_ID_PATTERN)

MISSING_TOKEN = "missing bearer token: send Authorization: Bearer <token>"

# Which check refused: lets a way in phrase a refusal for its own transport
# (the WebSocket asks for the token as a subprotocol, not a header).
Check = Literal["missing-token", "invalid-token", "role", "facility-id", "facility"]
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 422: "invalid"}


class Denied(Exception):
    """The caller may not do this: `status` 401, 403 or 422, `message` safe to show."""

    def __init__(self, status: Literal[401, 403, 422], check: Check, message: str):
        super().__init__(message)
        self.status, self.check, self.message = status, check, message

    @property
    def code(self) -> str:
        """The error code of the JSON error body (`base.http.error_response`)."""
        return ERROR_CODES[self.status]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other."""
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def valid_facility_id(facility_id: str) -> bool:
    return len(facility_id) <= FACILITY_ID_MAX_LENGTH and _FACILITY_ID.match(facility_id) is not None


def authorize(token: str | None, route: str, facility_id: str | None, settings: Settings) -> Principal:
    """The verified caller of `route` for `facility_id` (None: a route not
    about one facility), or `Denied`. Checks in order: token present (401),
    token valid (401), role allowed on the route (403), facility id well
    formed (422), token valid for the facility (403)."""
    if not token:
        raise Denied(401, "missing-token", MISSING_TOKEN)
    try:
        principal = verify_token(settings, token)
    except AuthError as error:
        raise Denied(401, "invalid-token", error.reason) from None
    if not is_allowed(route, principal.role):
        raise Denied(403, "role", f"role {principal.role} may not call {route}")
    if facility_id is not None:
        if not valid_facility_id(facility_id):
            raise Denied(
                422,
                "facility-id",
                f"facility must be 1-{FACILITY_ID_MAX_LENGTH} letters, digits or . _ - (got {facility_id[:80]!r})",
            )
        if not principal.may_act_for(facility_id):
            raise Denied(403, "facility", f"this token is not valid for facility {facility_id}")
    return principal
