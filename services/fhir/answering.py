"""How every FHIR route answers: the role check against the command API's
table (`base/permissions.py`), the access log, and refusals as
OperationOutcome resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials

from base.access import Denied, authorize
from base.permissions import sees_identity
from services.api.deps import bearer
from services.audit.access import record_disclosed, record_read
from services.errors import Invalid, NotFound
from services.fhir.bundle import disclosed_refs
from services.fhir.openapi import FACILITY_SCHEMA, FhirJSONResponse
from services.fhir.search import BadSearch
from services.hospital import Hospital

# The command API route whose role rules a FHIR read follows.
READ_ROUTE = {
    "Encounter": "encounters.read",
    "Location": "beds.read",
    "Appointment": "appointments.read",
    "Slot": "appointments.read",
    "Schedule": "scheduling.availability",
    "Coverage": "appointments.read",
}

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
FhirId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
# Checked by `authorize` after the token (a 422 OperationOutcome): documented here, not enforced by FastAPI.
Facility = Annotated[str, Path(description="facility code", json_schema_extra=FACILITY_SCHEMA)]


class Refused(Exception):
    def __init__(self, status: int, code: str, text: str):
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def outcome(status: int, code: str, text: str) -> FhirJSONResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return FhirJSONResponse(body, status_code=status)


# OperationOutcome issue codes for the refusals of `base.access.authorize`.
ISSUE_CODES = {401: "login", 403: "forbidden", 422: "invalid"}


def answer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    kind: str,
    build: Callable[[Hospital, bool], dict],
) -> FhirJSONResponse:
    """Authorize, build, and map refusals to OperationOutcome."""
    facility_id = request.path_params["facility_id"]
    route = READ_ROUTE[kind]
    try:
        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, route, facility_id, request.app.state.settings)
        except Denied as denied:
            raise Refused(denied.status, ISSUE_CODES[denied.status], denied.message) from None
        resource_id = ",".join(str(v) for k, v in request.path_params.items() if k != "facility_id")
        record_read(
            request.app.state.hospital,
            principal,
            facility_id,
            f"fhir/{kind}",
            resource_id or str(request.url.query),
            request.client.host if request.client else None,
        )
        body = build(request.app.state.hospital, sees_identity(route, principal.role))
        if body.get("resourceType") == "Bundle":
            record_disclosed(
                request.app.state.hospital,
                principal,
                facility_id,
                f"fhir/{kind}",
                str(request.url.query),
                request.client.host if request.client else None,
                disclosed_refs(body),
            )
    except Refused as refusal:
        return outcome(refusal.status, refusal.code, refusal.text)
    except NotFound as error:
        return outcome(404, "not-found", error.message)
    except BadSearch as error:
        return outcome(400, "invalid", str(error))
    except Invalid as error:  # a search the rules refuse (the Slot search's span)
        return outcome(422, "invalid", error.message)
    return FhirJSONResponse(body)
