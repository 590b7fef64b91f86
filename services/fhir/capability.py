"""The CapabilityStatement (`GET /fhir/R4/{facility}/metadata`): what this
server answers, read from the OpenAPI document of the FHIR routes (which the
conformance test holds to what they do), so it lists exactly the
interactions and search parameters served and cannot drift from them."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from services.fhir.openapi import FHIR_JSON

# (method, whether the path ends in an id) -> the FHIR interaction.
INTERACTIONS = {("GET", True): "read", ("GET", False): "search-type", ("POST", False): "create",
                ("PUT", True): "update", ("PATCH", True): "patch"}  # fmt: skip
REFERENCE_PARAMS = {"schedule", "actor", "practitioner", "patient", "beneficiary"}
DATE_PARAMS = {"date", "start"}
PREFIX = "/fhir/R4/{facility_id}/"
RELEASED = "2026-12-06"  # when this statement's content last changed
# System-level operations served: their definitions.
OPERATIONS = {"$bulk-publish": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/bulk-publish"}


def _param_type(name: str) -> str:
    return "reference" if name in REFERENCE_PARAMS else "date" if name in DATE_PARAMS else "token"


def capability_statement(paths: dict[str, dict[str, Any]], url: str) -> dict:
    """From the server's OpenAPI `paths`: each FHIR route and its query parameters."""
    resources: dict[str, dict[str, Any]] = {}
    for path, operations in sorted(paths.items()):
        parts = path.split("/")[4:]  # after /fhir/R4/{facility_id}
        if not path.startswith(PREFIX) or not parts or parts[0] == "metadata" or parts[0].startswith("$"):
            continue
        entry = resources.setdefault(parts[0], {"type": parts[0], "interaction": [], "searchParam": []})
        for method, operation in operations.items():
            code = INTERACTIONS.get((method.upper(), len(parts) > 1))
            if code is None:
                continue
            entry["interaction"].append({"code": code})
            for parameter in operation.get("parameters", []):
                if code == "search-type" and parameter.get("in") == "query":
                    name = parameter["name"]
                    found = {"name": name, "type": _param_type(name), "documentation": parameter.get("description")}
                    entry["searchParam"].append(found)
    for entry in resources.values():
        entry["interaction"].sort(key=lambda i: i["code"])
        if entry["searchParam"]:
            entry["searchParam"].sort(key=lambda p: p["name"])
        else:
            del entry["searchParam"]
        if entry["type"] == "Appointment":
            entry["conditionalCreate"] = True  # If-None-Exist: identifier=<appointment id>
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, "json"],
        "patchFormat": ["application/json-patch+json", FHIR_JSON],
        "software": {"name": "edflow"},
        "implementation": {"description": "edflow FHIR R4 API of one facility", "url": url},
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "OAuth2 bearer token (JWT) whose role and facilities "
                    "the command API's role table checks"
                },  # fmt: skip
                "resource": [resources[name] for name in sorted(resources)],
                "operation": [
                    {"name": name.removeprefix("$"), "definition": OPERATIONS[name]}
                    for name in sorted({p.split("/")[4] for p in paths if p.startswith(PREFIX + "$")})
                    if name in OPERATIONS
                ]
                or None,
            }
        ],
    }
    return CapabilityStatement.model_validate(statement).model_dump(mode="json", exclude_none=True)
