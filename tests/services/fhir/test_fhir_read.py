"""FHIR R4 reads built from the write model: the visit an HL7 feed recorded,
beds in each operational state, appointments; each response validated with the
R4 classes and compared in shape with the official examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.location import Location

from base.auth import mint_token
from events.envelope import Actor
from services.api.app import create_app
from services.ed.application import encounter_id_for
from services.fhir.location import location_id
from services.fhir.router import router
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from services.hospital import Hospital
from services.recording import Meta
from tests.conftest import FIXTURES
from tests.services.hl7.conftest import DEMO_SENDERS, register_sample_beds, sample

EXAMPLES = FIXTURES / "fhir"
FACILITY = "GHHSFacility"
VISIT = str(encounter_id_for(FACILITY, "40007716"))
BED_03, BED_B = "HUH AE OMU-Bed 03", "4 East, room 136, bed B 4E-B"
BASE = f"/fhir/R4/{FACILITY}"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def at(year: int, month: int = 1, day: int = 1, hour: int = 0) -> Meta:
    return Meta(facility_id=FACILITY, occurred_at=datetime(year, month, day, hour, tzinfo=UTC),
                actor=Actor(id="test-setup", role="admin"))  # fmt: skip


@pytest.fixture
def sqlite_hospital(sqlite_settings):
    hospital = Hospital(sqlite_settings)
    yield hospital
    hospital.close()


@pytest.fixture
def app(sqlite_settings, sqlite_hospital):
    api = create_app(sqlite_settings, sqlite_hospital)
    api.include_router(router)
    register_sample_beds(sqlite_hospital)
    return api


@pytest.fixture
def feed(sqlite_hospital):
    intake = Intake(sqlite_hospital, FeedOptions(senders=DEMO_SENDERS))

    def send(name: str, control: str | None = None) -> None:
        raw = sample(name)
        if control:
            raw = raw.replace(b"MSG00001", control.encode())
        assert b"MSA|AA|" in intake.handle_frame(raw)

    return send


def client_for(app, sqlite_settings, role: str, facilities: list[str] | None = None) -> TestClient:
    token = mint_token(sqlite_settings, "reader-1", role, facilities or [FACILITY])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_an_hl7_stay_reads_as_an_emergency_encounter_with_its_history(app, sqlite_settings, feed):
    for trigger in ("A04", "A01", "A03"):
        feed(f"ms-fhir-converter__ADT-{trigger}-01.hl7")
    response = client_for(app, sqlite_settings, "provider").get(f"{BASE}/Encounter/{VISIT}")

    assert response.status_code == 200 and response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    Encounter.model_validate(body)
    assert body["status"] == "finished" and body["class"]["code"] == "EMER"
    assert [h["status"] for h in body["statusHistory"]] == ["arrived", "in-progress", "finished"]
    (stay,) = body["location"]
    assert stay["location"]["reference"] == f"Location/{location_id(FACILITY, BED_03)}"
    assert stay["status"] == "completed" and stay["period"]["end"] == body["period"]["end"]
    assert body["hospitalization"]["dischargeDisposition"]["text"] == "admitted"
    assert body["subject"]["identifier"]["value"] == "PATID1234"
    emerg = example("Encounter-emerg.json")
    assert {"status", "class", "statusHistory", "location"} <= body.keys() & emerg.keys()
    assert body["location"][0].keys() == emerg["location"][0].keys()
    assert body["statusHistory"][0].keys() == emerg["statusHistory"][0].keys()


def test_a_transfer_closes_one_location_and_opens_the_next(app, sqlite_settings, sqlite_hospital, feed):
    feed("ms-fhir-converter__ADT-A04-01.hl7")
    sqlite_hospital.assign_bed(at(2021, 8, 17, 16), VISIT, BED_B)
    body = client_for(app, sqlite_settings, "charge-nurse").get(f"{BASE}/Encounter/{VISIT}").json()
    first, second = body["location"]
    assert (first["status"], second["status"]) == ("completed", "active")
    assert first["period"]["end"] == second["period"]["start"]
    assert second["location"]["display"] == BED_B and "end" not in second["period"]
    assert body["status"] == "in-progress"


@pytest.mark.parametrize(
    "steps, code, status",
    [
        ([], "U", "active"),
        (["occupy"], "O", "active"),
        (["occupy", "release"], "H", "active"),
        (["occupy", "release", "start_cleaning"], "H", "active"),
        (["block_bed"], "C", "suspended"),
    ],
    ids=["available", "occupied", "dirty", "cleaning", "blocked"],
)
def test_a_bed_reads_as_a_location_with_its_table_0116_status(
    app, sqlite_settings, sqlite_hospital, feed, steps, code, status
):
    for step in steps:
        if step == "occupy":
            feed("ms-fhir-converter__ADT-A04-01.hl7")
        elif step == "release":
            sqlite_hospital.release_bed(at(2030), BED_03)
        elif step == "block_bed":
            sqlite_hospital.block_bed(at(2020), BED_03, reason="broken rail")
        else:
            sqlite_hospital.start_cleaning(at(2031), BED_03)
    body = (
        client_for(app, sqlite_settings, "coordinator").get(f"{BASE}/Location/{location_id(FACILITY, BED_03)}").json()
    )
    Location.model_validate(body)
    assert (body["operationalStatus"]["code"], body["status"]) == (code, status)
    assert body["operationalStatus"]["system"] == example("Location-2.json")["operationalStatus"]["system"]
    assert body["identifier"][0]["value"] == BED_03 and body["mode"] == "instance"


def test_a_location_search_by_bed_id_is_a_searchset_bundle(app, sqlite_settings):
    reader = client_for(app, sqlite_settings, "coordinator")
    found = reader.get(f"{BASE}/Location", params={"identifier": BED_03}).json()
    missing = reader.get(f"{BASE}/Location", params={"identifier": "no such bed"}).json()
    Bundle.model_validate(found)
    assert (found["type"], found["total"], missing["total"]) == ("searchset", 1, 0)
    assert found["entry"][0]["resource"]["id"] == location_id(FACILITY, BED_03)


def test_an_siu_booking_reads_as_an_appointment_and_follows_its_cancellation(app, sqlite_settings, feed):
    feed("ms-fhir-converter__SIU-S12-01.hl7")
    reader = client_for(app, sqlite_settings, "scheduler")
    body = reader.get(f"{BASE}/Appointment/36996").json()
    Appointment.model_validate(body)
    assert (body["status"], body["start"], body["minutesDuration"]) == ("booked", "2021-09-24T09:30:00+02:15", 50)
    assert body["participant"][1]["actor"]["identifier"]["value"] == "1210"
    shape = example("Appointment-example.json")
    assert {"status", "start", "end", "created", "participant", "appointmentType"} <= body.keys() & shape.keys()
    feed("ms-fhir-converter__SIU-S15-01.hl7")
    assert reader.get(f"{BASE}/Appointment/36996").json()["status"] == "cancelled"


def test_roles_without_identity_see_initials_only(app, sqlite_settings, feed):
    feed("ms-fhir-converter__ADT-A04-01.hl7")
    body = client_for(app, sqlite_settings, "coordinator").get(f"{BASE}/Encounter/{VISIT}").json()
    assert body["subject"] == {"display": "A.E."}
    assert "PATID1234" not in json.dumps(body) and "EVERYMAN" not in json.dumps(body)


@pytest.mark.parametrize(
    "headers_role, path, status, code",
    [
        (None, f"{BASE}/Encounter/{VISIT}", 401, "login"),
        ("scheduler", f"{BASE}/Location/{location_id(FACILITY, BED_03)}", 403, "forbidden"),
        ("provider", f"{BASE}/Encounter/00000000-0000-0000-0000-000000000000", 404, "not-found"),
        ("provider", f"{BASE}/Encounter/not-a-uuid", 404, "not-found"),
        ("scheduler", f"{BASE}/Appointment/nope", 404, "not-found"),
    ],
    ids=["no-token", "role", "unknown-visit", "malformed-id", "unknown-appointment"],
)
def test_refusals_are_operation_outcomes(app, sqlite_settings, headers_role, path, status, code):
    client = client_for(app, sqlite_settings, headers_role) if headers_role else TestClient(app)
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome" and response.json()["issue"][0]["code"] == code


def test_a_token_for_another_facility_is_forbidden(app, sqlite_settings):
    response = client_for(app, sqlite_settings, "provider", ["elsewhere"]).get(f"{BASE}/Encounter/{VISIT}")
    assert response.status_code == 403


def test_an_encounter_search_by_visit_number_finds_the_visit(app, sqlite_settings, feed):
    feed("ms-fhir-converter__ADT-A04-01.hl7")
    reader = client_for(app, sqlite_settings, "provider")
    found = reader.get(f"{BASE}/Encounter", params={"identifier": "40007716"}).json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == VISIT
    assert found["entry"][0]["fullUrl"].endswith(f"{BASE}/Encounter/{VISIT}")
    assert reader.get(f"{BASE}/Encounter", params={"identifier": "nope"}).json()["total"] == 0


def test_a_providers_booked_time_reads_as_busy_slots_of_its_day(app, sqlite_settings, feed):
    feed("ms-fhir-converter__SIU-S12-01.hl7")
    reader = client_for(app, sqlite_settings, "scheduler")
    found = reader.get(f"{BASE}/Slot", params={"schedule": "Schedule/1210", "start": "2021-09-24"}).json()
    Bundle.model_validate(found)
    (slot,) = [e["resource"] for e in found["entry"]]
    assert (slot["status"], slot["start"], slot["schedule"]["reference"]) == (
        "busy",
        "2021-09-24T09:30:00+02:15",
        "Schedule/1210",
    )
    assert slot.keys() <= example("Slot-1.json").keys() | {"id"}
    other_day = reader.get(f"{BASE}/Slot", params={"schedule": "1210", "start": "2021-09-25"}).json()
    assert other_day["total"] == 0
    feed("ms-fhir-converter__SIU-S15-01.hl7")
    assert reader.get(f"{BASE}/Slot", params={"schedule": "1210", "start": "2021-09-24"}).json()["total"] == 0
