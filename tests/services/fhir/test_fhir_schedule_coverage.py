"""FHIR Schedule and Coverage: built from the working schedules and the
coverage sent for verification, validated with the R4B classes and compared
in shape with the official examples; refusals and the access log."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.schedule import Schedule

from services.audit.access import access_log
from tests.conftest import FIXTURES
from tests.services.fhir.conftest import BASE, FACILITY

EXAMPLES = FIXTURES / "fhir"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def test_a_providers_schedule_reads_with_its_working_week(scenario, reader):
    response = reader("scheduler").get(f"{BASE}/Schedule/dr-hopper")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    Schedule.model_validate(body)
    assert body["actor"] == [{"reference": "Practitioner/dr-hopper", "display": "dr-hopper"}]
    assert body["serviceCategory"][0]["text"] == "cardiology" and body["active"] is True
    assert body["serviceType"][0]["coding"][0]["code"] == "outpatient-visit"
    assert body["planningHorizon"] == {"start": "2026-03-01T09:00:00Z"}
    assert (
        "Mon 08:00-16:00" in body["comment"] and "Fri 08:00-16:00" in body["comment"] and "Sat" not in body["comment"]
    )
    shape = example("Schedule-example.json")
    assert {
        "identifier",
        "active",
        "serviceCategory",
        "serviceType",
        "actor",
        "planningHorizon",
        "comment",
    } <= body.keys() & shape.keys()


def test_the_schedule_a_slot_points_to_resolves(scenario, reader):
    client = reader("scheduler")
    slots = client.get(f"{BASE}/Slot", params={"schedule": "dr-hopper", "start": "2026-03-02"}).json()
    reference = slots["entry"][0]["resource"]["schedule"]["reference"]
    assert reference == "Schedule/dr-hopper"
    assert client.get(f"{BASE}/{reference}").json()["id"] == "dr-hopper"


def test_a_rooms_schedule_is_read_by_its_kind_prefix(scenario, reader):
    body = reader("scheduler").get(f"{BASE}/Schedule/room.room-7").json()
    Schedule.model_validate(body)
    assert body["id"] == "room.room-7" and body["actor"] == [{"display": "room room-7"}]


def test_schedules_are_searched_by_practitioner_and_service_type(scenario, reader):
    client = reader("auditor")
    by_actor = client.get(f"{BASE}/Schedule", params={"actor": "Practitioner/dr-curie"}).json()
    Bundle.model_validate(by_actor)
    assert [e["resource"]["id"] for e in by_actor["entry"]] == ["dr-curie"]
    assert "Europe/Paris" in by_actor["entry"][0]["resource"]["comment"]
    by_type = client.get(f"{BASE}/Schedule", params={"service-type": "outpatient-visit"}).json()
    assert [e["resource"]["id"] for e in by_type["entry"]] == ["dr-hopper"]
    everything = client.get(f"{BASE}/Schedule").json()
    assert sorted(e["resource"]["id"] for e in everything["entry"]) == ["dr-curie", "dr-hopper", "room.room-7"]
    assert client.get(f"{BASE}/Schedule", params={"actor": "Practitioner/nobody"}).json()["total"] == 0


def test_coverage_reads_with_payer_plan_member_id_and_period(scenario, reader):
    body = reader("scheduler").get(f"{BASE}/Coverage/ap-1").json()
    Coverage.model_validate(body)
    assert (body["status"], body["subscriberId"], body["payor"]) == ("active", "M-555", [{"display": "Acme Health"}])
    assert body["period"] == {"start": "2026-01-01", "end": "2026-12-31"}
    assert body["class"][0]["value"] == "GOLD" and body["class"][0]["type"]["coding"][0]["code"] == "plan"
    assert body["beneficiary"]["identifier"]["value"] == "MRN-ADA"
    shape = example("Coverage-9876B1.json")
    assert {"status", "beneficiary", "period", "payor", "class"} <= body.keys() & shape.keys()


def test_coverage_of_a_cancelled_appointment_is_cancelled(scenario, reader):
    body = reader("scheduler").get(f"{BASE}/Coverage/ap-2").json()
    Coverage.model_validate(body)
    assert body["status"] == "cancelled" and "period" not in body and "class" not in body


def test_coverage_hides_identity_from_roles_that_may_not_see_it(scenario, reader):
    client = reader("coordinator")
    body = client.get(f"{BASE}/Coverage/ap-1").json()
    assert body["beneficiary"] == {"display": "A.L."} and "subscriberId" not in body
    assert "MRN-ADA" not in json.dumps(body) and "M-555" not in json.dumps(body)
    refused = client.get(f"{BASE}/Coverage", params={"patient": "MRN-ADA"})
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"


def test_coverage_is_searched_by_patient_or_beneficiary(scenario, reader):
    client = reader("scheduler")
    ada = client.get(f"{BASE}/Coverage", params={"patient": "MRN-ADA"}).json()
    Bundle.model_validate(ada)
    assert [e["resource"]["id"] for e in ada["entry"]] == ["ap-1"]
    alan = client.get(f"{BASE}/Coverage", params={"beneficiary": "Patient/MRN-ALAN"}).json()
    assert [e["resource"]["id"] for e in alan["entry"]] == ["ap-2"]  # ap-3 has no coverage
    assert client.get(f"{BASE}/Coverage", params={"patient": "MRN-NOBODY"}).json()["total"] == 0


@pytest.mark.parametrize(
    "role, path, status, code",
    [
        ("scheduler", "Schedule/dr-nobody", 404, "not-found"),
        ("scheduler", "Schedule/room.nowhere", 404, "not-found"),
        ("scheduler", "Coverage/ap-3", 404, "not-found"),
        ("scheduler", "Coverage/ap-none", 404, "not-found"),
        ("coordinator", "Schedule/dr-hopper", 403, "forbidden"),
        ("charge-nurse", "Coverage/ap-1", 403, "forbidden"),
        ("charge-nurse", "Schedule?actor=dr-hopper", 403, "forbidden"),
        ("scheduler", "Schedule?actor=dr-hopper&color=red", 400, "invalid"),
        ("scheduler", "Coverage?patient=", 400, "invalid"),
    ],
    ids=["unknown-provider", "unknown-room", "no-coverage", "unknown-appointment", "schedule-role", "coverage-role",
         "schedule-search-role", "unknown-parameter", "empty-value"],
)  # fmt: skip
def test_refusals_are_operation_outcomes(scenario, reader, role, path, status, code):
    response = reader(role).get(f"{BASE}/{path}")
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome" and response.json()["issue"][0]["code"] == code


def test_another_facilitys_schedule_is_not_found_here(scenario, reader):
    client = reader("scheduler")
    response = client.get(f"{BASE}/Schedule/dr-far")
    assert response.status_code == 404 and response.json()["resourceType"] == "OperationOutcome"
    assert client.get(f"{BASE}/Schedule", params={"actor": "dr-far"}).json()["total"] == 0


def test_each_read_and_search_is_in_the_access_log(scenario, scenario_hospital, reader):
    reader("scheduler").get(f"{BASE}/Schedule/dr-hopper")
    reader("scheduler").get(f"{BASE}/Coverage/ap-1")
    reader("scheduler").get(f"{BASE}/Coverage", params={"patient": "MRN-ADA"})
    entries = [
        (e.resource, e.resource_id, e.actor_id, e.role) for e in access_log(scenario_hospital, facility_id=FACILITY)
    ]
    assert ("fhir/Schedule", "dr-hopper", "reader-7", "scheduler") in entries
    assert ("fhir/Coverage", "ap-1", "reader-7", "scheduler") in entries
    assert ("fhir/Coverage", "patient=MRN-ADA", "reader-7", "scheduler") in entries
