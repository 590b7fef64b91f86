"""What the FHIR booking routes declare in the OpenAPI document: the
Appointment they read, the headers, and their answers. The rules JSON
Schema cannot state are in the descriptions (and `booking.RULES`)."""

from __future__ import annotations

from typing import Any

from services.fhir.openapi import FHIR_JSON, outcome_response, resource_schema

_ID = r"[A-Za-z0-9\-.]{1,64}"
_REFERENCE: dict[str, Any] = {"type": "object", "required": ["reference"]}
_CODEABLE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"},
        "coding": {"type": "array", "items": {"type": "object", "properties": {"code": {"type": "string"}}}},
    },
}


def _reference(kinds: str) -> dict[str, Any]:
    return {
        **_REFERENCE,
        "properties": {
            "reference": {"type": "string", "pattern": rf"^({kinds})/{_ID}$"},
            "display": {"type": "string", "maxLength": 200, "description": "for a Patient: Family, Given"},
        },
    }


def _appointment(statuses: list[str], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "description": "one Slot, or a start and an end; one Patient and one Practitioner who has a working "
        "schedule here; to cancel, a cancelationReason with text",
        "properties": {
            "resourceType": {"const": "Appointment"},
            "status": {"type": "string", "enum": statuses},
            "slot": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": {**_REFERENCE, "properties": {"reference": {"type": "string", "pattern": rf"^Slot/{_ID}$"}}},
            },
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "description": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": r"\S"},
            "serviceType": {"type": "array", "items": _CODEABLE},
            "cancelationReason": _CODEABLE,
            "participant": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["actor"],
                    "properties": {"actor": _reference("Patient|Practitioner")},
                },
            },
        },
    }


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {FHIR_JSON: {"schema": schema}, "application/json": {"schema": schema}}}


_PATCH_OPERATION = {
    "type": "object",
    "required": ["op", "path"],
    "properties": {"op": {"enum": ["add", "replace"]}, "path": {"type": "string"}, "value": {}},
}
IF_NONE_EXIST_PATTERN = r"^identifier=([^|]*\|)?[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CREATE = {
    "requestBody": _body(_appointment(["booked"], ["resourceType", "status", "participant"])),
    "parameters": [
        {
            "name": "If-None-Exist",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1},
            "description": "identifier=<appointment id>: book under this id, or answer 200 with the appointment "
            "it names (422 in any other form)",
        }
    ],
}
REPLACE = {"requestBody": _body(_appointment(["booked", "cancelled"], ["resourceType"]))}
PATCH = {
    "requestBody": _body(
        {"oneOf": [_appointment(["booked", "cancelled"], []), {"type": "array", "items": _PATCH_OPERATION}]}
    )
}


def write_responses(create: bool) -> dict[int | str, dict[str, Any]]:
    appointment = {"content": {FHIR_JSON: {"schema": resource_schema("Appointment")}}}
    answers: dict[int | str, dict[str, Any]] = {
        200: {"description": "the Appointment as it is now (unchanged, or the one If-None-Exist names)", **appointment},
        400: outcome_response("the body is not an Appointment (issue code invalid)"),
        401: outcome_response("missing, expired or invalid token (issue code login)"),
        403: outcome_response("role or facility not allowed (issue code forbidden)"),
        409: outcome_response("the time is taken, outside working hours or blocked (issue code conflict)"),
        422: outcome_response(
            "malformed facility code or id, or what the booking rules refuse (issue code invalid)",
            also_api_error=True,
        ),
    }
    if create:
        answers[201] = {"description": "booked: the new Appointment", **appointment}
    else:
        answers[404] = outcome_response("no Appointment with this id at this facility (issue code not-found)")
    return answers
