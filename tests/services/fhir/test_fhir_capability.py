"""The CapabilityStatement lists exactly what the FHIR routes answer: each
interaction it names is served, each search parameter it names is accepted,
and a parameter it does not name is refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.services.fhir.conftest import BASE, client_for

SAMPLE = {"date": "2026-03-02", "start": "2026-03-02", "status": None, "operational-status": "O", "active": "true",
          "service-type": "outpatient-visit"}  # fmt: skip


def test_metadata_needs_no_token_and_lists_each_resource(fhir_app):
    response = TestClient(fhir_app).get(f"{BASE}/metadata")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/fhir+json")
    statement = response.json()
    CapabilityStatement.model_validate(statement)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {"Appointment", "Coverage", "Encounter", "Location", "Schedule", "Slot"}
    codes = {kind: {i["code"] for i in r["interaction"]} for kind, r in resources.items()}
    assert codes["Appointment"] == {"create", "patch", "read", "search-type", "update"}
    assert codes["Slot"] == codes["Schedule"] == {"read", "search-type"}
    assert {p["name"] for p in resources["Slot"]["searchParam"]} == {"schedule", "start", "status", "service-type"}
    assert [o["name"] for o in statement["rest"][0]["operation"]] == ["bulk-publish"]  # the published free time


def test_every_search_parameter_listed_is_served_and_no_other(scenario, fhir_app, settings):
    client = client_for(fhir_app, settings, "admin")
    statement = TestClient(fhir_app).get(f"{BASE}/metadata").json()
    for resource in statement["rest"][0]["resource"]:
        kind = resource["type"]
        for parameter in resource["searchParam"]:
            name = parameter["name"]
            value = SAMPLE.get(name) or {"status": "booked" if kind == "Appointment" else None}.get(name) or "x"
            if kind == "Encounter" and name == "status":
                value = "finished"
            if kind == "Slot" and name == "status":
                value = "free"
            answer = client.get(f"{BASE}/{kind}", params={name: value})
            assert answer.status_code == 200, (kind, name, answer.text)
        refused = client.get(f"{BASE}/{kind}", params={"unlisted": "x"})
        assert refused.status_code == 400 and "unsupported search parameter" in refused.text
