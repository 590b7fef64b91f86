"""FHIR searches a client expects, on a small hand-built facility (see
conftest): Encounter by status and date, Appointment by date, status and
practitioner, Location by operational status; bad parameters are 400."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle

from services.api.app import create_app
from services.audit.access import access_log
from services.fhir.location import location_id
from services.fhir.router import router
from services.hospital import Hospital
from tests.services.fhir.conftest import BASE, FACILITY, build_scenario, client_for


def found(client, kind: str, query: str) -> list[str]:
    response = client.get(f"{BASE}/{kind}?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "searchset" and body["total"] == len(body.get("entry", []))
    return sorted(e["resource"]["identifier"][0]["value"] for e in body.get("entry", []))


@pytest.mark.parametrize(
    "query, visits",
    [
        ("status=in-progress", ["V1"]),
        ("status=finished,arrived", ["V2", "V3"]),
        ("status=cancelled", []),
        ("", ["V1", "V2", "V3"]),
        ("date=ge2026-03-03", ["V1", "V2", "V3"]),
        ("date=le2026-03-02", ["V1", "V2"]),
        ("date=2026-03", ["V2"]),
        ("date=2026-03-02", []),
        ("date=ge2026-03-03&date=le2026-03-03", ["V1", "V2"]),
        ("date=lt2026-03-02T22:00:00Z", ["V1"]),
        ("date=gt2026-03-03", ["V1", "V3"]),
        ("date=ge2026-03-03&status=finished", ["V2"]),
        ("identifier=V2&status=finished", ["V2"]),
        ("identifier=V2&status=arrived", []),
    ],
)  # fmt: skip
def test_encounters_are_searched_by_status_and_period(scenario, reader, query, visits):
    assert found(reader("provider"), "Encounter", query) == visits


@pytest.mark.parametrize(
    "query, appointments",
    [
        ("practitioner=Practitioner/dr-hopper", ["ap-1", "ap-2"]),
        ("practitioner=dr-curie", ["ap-3"]),
        ("status=cancelled", ["ap-2"]),
        ("status=booked", ["ap-1", "ap-3"]),
        ("date=2026-03-02", ["ap-1", "ap-3"]),
        ("date=ge2026-03-03", ["ap-2"]),
        ("practitioner=dr-hopper&date=2026-03-02", ["ap-1"]),
        ("date=2026-03-02T09:00:00Z", ["ap-1", "ap-3"]),
        ("date=gt2026-03-02T09:00:00Z", ["ap-2"]),
        ("date=lt2026-03-02T09:00:00Z", []),
        ("identifier=ap-3", ["ap-3"]),
    ],
)  # fmt: skip
def test_appointments_are_searched_by_date_status_and_practitioner(scenario, reader, query, appointments):
    assert found(reader("scheduler"), "Appointment", query) == appointments


@pytest.mark.parametrize(
    "query, beds",
    [
        ("operational-status=U", ["A2"]),
        ("operational-status=O,C", ["A1", "A3"]),
        ("operational-status=http://terminology.hl7.org/CodeSystem/v2-0116|O", ["A1"]),
        ("operational-status=H", []),
        ("", ["A1", "A2", "A3"]),
        ("identifier=A3&operational-status=C", ["A3"]),
    ],
)  # fmt: skip
def test_beds_are_searched_by_operational_status(scenario, reader, query, beds):
    assert found(reader("coordinator"), "Location", query) == beds


def test_search_entries_are_full_resources_with_their_urls(scenario, reader):
    body = reader("coordinator").get(f"{BASE}/Location?operational-status=O").json()
    (entry,) = body["entry"]
    assert entry["fullUrl"].endswith(f"{BASE}/Location/{location_id(FACILITY, 'A1')}")
    assert entry["resource"]["resourceType"] == "Location" and entry["search"] == {"mode": "match"}


@pytest.mark.parametrize(
    "role, path, diagnostic",
    [
        ("provider", "Encounter?status=bogus", "status=bogus"),
        ("provider", "Encounter?date=ge03/02/2026", "not a FHIR date"),
        ("provider", "Encounter?date=2026-03-02T10:00:00", "time zone offset"),
        ("provider", "Encounter?date=2026-13", "not a FHIR date"),
        ("provider", "Encounter?subject=x", "unsupported search parameter subject"),
        ("scheduler", "Appointment?status=done", "status=done"),
        ("scheduler", "Appointment?date=", "needs a value"),
        ("coordinator", "Location?operational-status=X", "operational-status=X"),
        ("coordinator", "Location?near=1", "unsupported search parameter near"),
    ],
)  # fmt: skip
def test_bad_search_parameters_are_400_operation_outcomes(scenario, reader, role, path, diagnostic):
    response = reader(role).get(f"{BASE}/{path}")
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "invalid"
    assert diagnostic in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "role, path",
    [
        ("scheduler", "Encounter?status=finished"),
        ("charge-nurse", "Appointment?status=booked"),
        ("scheduler", "Location"),
    ],
)
def test_searches_follow_the_read_roles(scenario, reader, role, path):
    response = reader(role).get(f"{BASE}/{path}")
    assert response.status_code == 403 and response.json()["issue"][0]["code"] == "forbidden"


def test_searches_hide_identity_from_roles_that_may_not_see_it(scenario, reader):
    body = reader("coordinator").get(f"{BASE}/Appointment?practitioner=dr-hopper").json()
    subjects = sorted(e["resource"]["participant"][0]["actor"]["display"] for e in body["entry"])
    assert subjects == ["A.L.", "A.T."] and "MRN-" not in str(body)


def test_each_search_is_in_the_access_log(scenario, scenario_hospital, reader):
    reader("provider").get(f"{BASE}/Encounter?status=finished")
    reader("scheduler").get(f"{BASE}/Appointment?date=2026-03-02")
    entries = {(e.resource, e.resource_id, e.role) for e in access_log(scenario_hospital, facility_id=FACILITY)}
    assert {
        ("fhir/Encounter", "status=finished", "provider"),
        ("fhir/Appointment", "date=2026-03-02", "scheduler"),
    } <= entries


@pytest.mark.parametrize(
    "query, status, diagnostic",
    [
        ("schedule=dr-hopper&start=02.03.2026", 400, "is not a FHIR date"),
        ("schedule=dr-hopper&start=2026-03-02&status=open", 400, "status=open is not one of"),
        ("schedule=dr-hopper&start=2026-03-02&colour=red", 400, "unsupported search parameter colour"),
        ("schedule=dr-hopper&start=ge2026-03-02&start=lt2026-06-02", 422, "ask for at most 62 days"),
    ],
)
def test_bad_slot_searches_are_operation_outcomes(scenario, reader, query, status, diagnostic):
    response = reader("scheduler").get(f"{BASE}/Slot?{query}")
    assert response.status_code == status and response.json()["resourceType"] == "OperationOutcome"
    assert diagnostic in response.json()["issue"][0]["diagnostics"]


def test_slots_are_searched_for_one_or_more_schedules(scenario, reader):
    client = reader("scheduler")
    query = "schedule=Schedule/dr-hopper,Schedule/dr-curie&start=eq2026-03-02&status=busy&_count=50"
    body = client.get(f"{BASE}/Slot?{query}").json()
    Bundle.model_validate(body)
    assert sorted(e["resource"]["schedule"]["reference"] for e in body["entry"]) == [
        "Schedule/dr-curie",
        "Schedule/dr-curie",
        "Schedule/dr-hopper",
    ]  # ap-3 takes two of dr-curie's 30-minute cells
    busy_on_3rd = client.get(f"{BASE}/Slot?schedule=dr-hopper&start=2026-03-03&status=busy").json()
    assert busy_on_3rd["total"] == 0  # ap-2 was cancelled


def test_searches_scan_the_same_on_each_store(settings):
    """The scan reads the store's log by topic: SQLite and PostgreSQL alike."""
    hospital = Hospital(settings)
    try:
        build_scenario(hospital)
        api = create_app(settings, hospital)
        api.include_router(router)
        assert found(client_for(api, settings, "provider"), "Encounter", "date=ge2026-03-03&status=finished") == ["V2"]
        assert found(client_for(api, settings, "scheduler"), "Schedule", "") == [
            "provider/dr-curie",
            "provider/dr-hopper",
            "room/room-7",
        ]
        assert found(client_for(api, settings, "coordinator"), "Location", "operational-status=C") == ["A3"]
    finally:
        hospital.close()
