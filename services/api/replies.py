"""What the command API answers: the outcome of a command (the events it
recorded) and the error body, with the error statuses each route documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EventRef(BaseModel):
    event_id: str
    type: str
    aggregate_id: str
    aggregate_version: int


class OutcomeOut(BaseModel):
    id: str
    events: list[EventRef]


class PayerCheckOut(OutcomeOut):
    insurance: str = Field(description="verified, or failed when the payer says the coverage is not in force")
    detail: str = Field(description="the payer's reference when verified, its reason when not")


class ArrivalOut(OutcomeOut):
    stay_code: str = Field(
        description="the short code to tell the patient: the hallway screen shows the stay under it, with no PHI"
    )


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict = {}


class ErrorOut(BaseModel):
    error: ErrorDetail


# Typed as FastAPI's `responses` parameter is.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": why}
    for status, why in {
        401: "missing, expired or invalid token",
        403: "role or facility not allowed",
        404: "unknown id",
        409: "conflicts with the current state",
        422: "malformed request (field-level messages)",
        503: "the event store is busy or unreachable (nothing was recorded; see Retry-After), "
        "or this server runs without the work queue",
    }.items()
}
# Added to every route that takes a body (`services.api.limits`).
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "body larger than 64 KiB"},
    415: {"model": ErrorOut, "description": "body sent without a JSON Content-Type"},
}
# The payer link (`appointments.insurance-payer-check`): the check is recorded as failed, then answered so.
PAYER_RESPONSES: dict[int | str, dict[str, Any]] = {
    502: {
        "model": ErrorOut,
        "description": "payer_unavailable: the payer could not be reached, failed (5xx), refused the request "
        "or answered with something that is not a CoverageEligibilityResponse; recorded as a failed check",
    },
    504: {
        "model": ErrorOut,
        "description": "payer_timeout: the payer did not answer in EDFLOW_ELIGIBILITY_TIMEOUT_SECONDS; "
        "recorded as a failed check",
    },
}
