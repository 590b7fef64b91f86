"""What the FHIR routes declare in the OpenAPI document: the FHIR JSON media
type, the OperationOutcome of every refusal, and the search parameters each
search accepts (a search is strict: any other parameter is a 400)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN

FHIR_JSON = "application/fhir+json"


class FhirJSONResponse(JSONResponse):
    media_type = FHIR_JSON


OPERATION_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code", "diagnostics"],
                "properties": {
                    "severity": {"const": "error"},
                    "code": {"type": "string", "enum": ["login", "forbidden", "invalid", "not-found", "conflict"]},
                    "diagnostics": {"type": "string"},
                },
            },
        },
    },
}
# A malformed id in the path is refused before the FHIR route runs, in the
# command API's error body (`services.api.replies.ErrorOut`).
API_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
        }
    },
}


def outcome_response(description: str, also_api_error: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {FHIR_JSON: {"schema": OPERATION_OUTCOME}}
    if also_api_error:
        content["application/json"] = {"schema": API_ERROR}
    return {"description": description, "content": content}


def resource_schema(kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": kind}, "id": {"type": "string"}},
    }


def responses(kind: str, search: bool) -> dict[int | str, dict[str, Any]]:
    """The answers of one FHIR route: the resource (or a searchset Bundle of
    them) as application/fhir+json, else an OperationOutcome."""
    found = resource_schema("Bundle") if search else resource_schema(kind)
    if search:
        found["properties"] = {
            **found["properties"],
            "type": {"const": "searchset"},
            "total": {"type": "integer", "minimum": 0},
            "entry": {"type": "array", "items": {"type": "object", "properties": {"resource": resource_schema(kind)}}},
        }
    answers: dict[int | str, dict[str, Any]] = {
        200: {
            "description": f"the searchset Bundle of matching {kind} resources" if search else f"the {kind}",
            "content": {FHIR_JSON: {"schema": found}},
        },
        401: outcome_response("missing, expired or invalid token (issue code login)"),
        403: outcome_response("role or facility not allowed (issue code forbidden)"),
        422: outcome_response(
            "malformed facility code, malformed id in the path, or (Slot) a start range wider than 62 days",
            also_api_error=not search,
        ),
    }
    if search:
        answers[400] = outcome_response("unknown search parameter, empty value or malformed value (issue code invalid)")
    else:
        answers[404] = outcome_response(f"no {kind} with this id at this facility (issue code not-found)")
    return answers


FACILITY_SCHEMA = {"minLength": 1, "maxLength": FACILITY_ID_MAX_LENGTH, "pattern": FACILITY_ID_PATTERN}


def token(values: set[str] | None = None) -> dict[str, Any]:
    """A token parameter: codes ORed by commas, each optionally `system|code`."""
    if values is None:
        return {"type": "string", "minLength": 1}
    code = "(" + "|".join(sorted(values)) + ")"
    one = rf"([^,|]*\|)?{code}"
    return {"type": "string", "pattern": rf"^{one}(,{one})*$"}


_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_DATE = rf"^(eq|ne|ge|gt|le|lt)?{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])({_TIME})?)?)?$"
DATE = {
    "type": "string",
    "pattern": _DATE,
    "description": "YYYY, YYYY-MM, YYYY-MM-DD or a dateTime with offset, optionally prefixed "
    "eq, ne, ge, gt, le or lt; a day the month does not have is a 400",
}


def query(name: str, schema: dict[str, Any], required: bool = False, description: str = "") -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def search_parameters(*parameters: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a search route: the parameters it reads from the query."""
    return {"parameters": list(parameters)}
