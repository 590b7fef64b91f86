"""Published free time (`$bulk-publish`, SMART Scheduling Links): no token
needed; the manifest lists a Location, a Schedule and a Slot file; the Slot
file holds only free slots of the coming days and a slot booked over the API
is gone from the next fetch; nothing in the files is about a patient; an
unknown facility is a 404 OperationOutcome; and the facility file's booking
details become the SMART booking extensions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from events.envelope import Actor
from services.api.app import create_app
from services.fhir.publish import BOOKING_PHONE, DEEP_LINK, HORIZON_DAYS
from services.fhir.router import router
from services.recording import Meta
from tests.services.fhir.conftest import BASE, FACILITY, client_for
from tests.services.fhir.test_fhir_booking import appointment

EVERY_DAY = [(d, time(8), time(16)) for d in range(7)]
SITE = f"""
id = "{FACILITY}"
name = "Test Clinic"
timezone = "UTC"
inpatient_beds = 10
ed_ventilators = 1
units = [{{ id = "ed", name = "ED", bed_type = "acute", beds = ["A1"] }}]
departments = [{{ id = "clinic", name = "Walk-in Clinic" }}]
providers = [{{ id = "dr-pub", name = "Dr. Pub Lisher", department = "clinic" }}]

[booking]
url = "https://book.example.org/clinic?lang=en"
phone = "+1-555-0199"
address_lines = ["1 Main St"]
city = "Springfield"
state = "IL"
postal_code = "62701"
"""


def now_meta(facility_id: str = FACILITY) -> Meta:
    return Meta(facility_id=facility_id, occurred_at=datetime.now(UTC), actor=Actor(id="setup-1", role="admin"))


@pytest.fixture
def clinic(scenario, scenario_hospital):
    """The FHIR scenario (its patients and appointments) and a provider who works every day."""
    h = scenario_hospital
    h.define_schedule(now_meta(), "provider", "dr-pub", "clinic", "UTC", EVERY_DAY, {"outpatient-visit": 30})
    h.define_schedule(now_meta(), "room", "room-pub", "clinic", "UTC", EVERY_DAY)
    h.define_schedule(now_meta("elsewhere"), "provider", "dr-away", "clinic", "UTC", EVERY_DAY)
    return h


def fetch(client: TestClient, facility: str = FACILITY) -> tuple[dict, dict[str, list[dict]], dict[str, str]]:
    """The manifest, each file's resources, and each file's raw text."""
    manifest = client.get(f"/fhir/R4/{facility}/$bulk-publish")
    assert manifest.status_code == 200, manifest.text
    assert manifest.headers["content-type"].startswith("application/json")
    body = manifest.json()
    raw = {}
    for output in body["output"]:
        answer = client.get(output["url"])
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/fhir+ndjson")
        raw[output["type"]] = answer.text
    files = {kind: [json.loads(line) for line in text.splitlines()] for kind, text in raw.items()}
    return body, files, raw


def test_the_manifest_lists_the_three_files_and_needs_no_token(clinic, fhir_app):
    body, files, _ = fetch(TestClient(fhir_app))
    assert set(body) == {"transactionTime", "request", "output", "error"} and body["error"] == []
    assert body["request"] == f"http://testserver{BASE}/$bulk-publish"
    assert [o["type"] for o in body["output"]] == ["Location", "Schedule", "Slot"]
    assert [o["url"] for o in body["output"]] == [f"http://testserver{BASE}/$bulk-publish/{k}.ndjson"
                                                  for k in ("Location", "Schedule", "Slot")]  # fmt: skip
    datetime.fromisoformat(body["transactionTime"])
    # Providers only, each with its clinic's Location; the other facility's provider is not here.
    assert {s["id"] for s in files["Schedule"]} == {"dr-hopper", "dr-curie", "dr-pub"}
    locations = {loc["id"] for loc in files["Location"]}
    assert locations == {"clinic.cardiology", "clinic.radiology", "clinic.clinic"}
    assert all(s["actor"][0]["reference"].removeprefix("Location/") in locations for s in files["Schedule"])
    slots = files["Slot"]
    now = datetime.now(UTC)
    assert slots and {s["status"] for s in slots} == {"free"}
    assert all(now - timedelta(minutes=1) <= datetime.fromisoformat(s["start"]) for s in slots)
    assert max(datetime.fromisoformat(s["start"]) for s in slots) < now + timedelta(days=HORIZON_DAYS + 1)
    assert {s["schedule"]["reference"] for s in slots} == {"Schedule/dr-hopper", "Schedule/dr-curie", "Schedule/dr-pub"}


def test_a_booked_slot_is_gone_from_the_next_fetch_and_no_patient_data_is_published(clinic, fhir_app, settings):
    anonymous = TestClient(fhir_app)
    before, files, _ = fetch(anonymous)
    etag = anonymous.get(f"{BASE}/$bulk-publish").headers["etag"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    slot = next(s for s in files["Slot"] if s["id"].startswith("dr-pub.") and s["start"].startswith(tomorrow))
    scheduler = client_for(fhir_app, settings, "scheduler")
    booking = appointment(slot["id"])
    booking["participant"][1]["actor"]["reference"] = "Practitioner/dr-pub"
    booked = scheduler.post(f"{BASE}/Appointment", json=booking, headers={"If-None-Exist": "identifier=ap-pub-1"})
    assert booked.status_code == 201, booked.text
    assert scheduler.get(f"{BASE}/Slot/{slot['id']}").json()["status"] == "busy"
    after, files, raw = fetch(anonymous)
    assert slot["id"] not in {s["id"] for s in files["Slot"]}
    assert after["transactionTime"] >= before["transactionTime"]
    assert anonymous.get(f"{BASE}/$bulk-publish", headers={"If-None-Match": etag}).status_code == 200  # it changed
    text = "\n".join(raw.values())
    for secret in ("MRN-ADA", "Lovelace", "Ada", "MRN-ALAN", "Turing", "ap-pub-1", "ap-1", "ap-3",
                   "Appointment", "Patient", "busy", "Acme Health", "M-555"):  # fmt: skip
        assert secret not in text, secret
    kinds = {r["resourceType"] for found in files.values() for r in found}
    assert kinds == {"Location", "Schedule", "Slot"}


def test_an_unchanged_file_answers_304_to_its_etag(clinic, fhir_app):
    client = TestClient(fhir_app)
    first = client.get(f"{BASE}/$bulk-publish/Slot.ndjson")
    assert first.status_code == 200 and first.headers["etag"] and first.headers["last-modified"]
    again = client.get(f"{BASE}/$bulk-publish/Slot.ndjson", headers={"If-None-Match": first.headers["etag"]})
    if again.headers["etag"] == first.headers["etag"]:  # unless a slot started in between
        assert again.status_code == 304 and again.content == b""
    manifest = client.get(f"{BASE}/$bulk-publish")
    again = client.get(f"{BASE}/$bulk-publish", headers={"If-None-Match": manifest.headers["etag"]})
    if again.headers["etag"] == manifest.headers["etag"]:
        assert again.status_code == 304
    other = client.get(f"{BASE}/$bulk-publish/Slot.ndjson", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content


@pytest.mark.parametrize("facility", ["nowhere", "fac-empty"])
def test_an_unknown_facility_or_one_without_schedules_is_a_404_outcome(clinic, fhir_app, facility):
    client = TestClient(fhir_app)
    clinic.register_bed(now_meta("fac-empty"), "E1", "ED-E")  # known here, but nothing is published
    for path in ("$bulk-publish", "$bulk-publish/Location.ndjson", "$bulk-publish/Slot.ndjson"):
        answer = client.get(f"/fhir/R4/{facility}/{path}")
        assert answer.status_code == 404, answer.text
        assert answer.json()["resourceType"] == "OperationOutcome"
        assert answer.json()["issue"][0]["code"] == "not-found"
    assert client.get("/fhir/R4/bad%20code/$bulk-publish").status_code == 422


def test_since_is_accepted_and_any_other_parameter_refused(clinic, fhir_app):
    client = TestClient(fhir_app)
    assert client.get(f"{BASE}/$bulk-publish", params={"_since": "2026-01-01T00:00:00Z"}).status_code == 200
    refused = client.get(f"{BASE}/$bulk-publish", params={"_type": "Appointment"})
    assert refused.status_code == 400 and refused.json()["issue"][0]["code"] == "invalid"


def test_the_facility_files_booking_details_are_the_smart_extensions(clinic, settings, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(SITE)
    api = create_app(settings.model_copy(update={"facility_config": site}), clinic)
    api.include_router(router)
    _, files, _ = fetch(TestClient(api))
    location = next(loc for loc in files["Location"] if loc["id"] == "clinic.clinic")
    assert location["name"] == "Walk-in Clinic, Test Clinic"
    assert location["telecom"] == [{"system": "phone", "value": "+1-555-0199"},
                                   {"system": "url", "value": "https://book.example.org/clinic?lang=en"}]  # fmt: skip
    assert location["address"] == {"line": ["1 Main St"], "city": "Springfield", "state": "IL", "postalCode": "62701"}
    assert next(s for s in files["Schedule"] if s["id"] == "dr-pub")["comment"] == "Dr. Pub Lisher, Walk-in Clinic"
    slot = next(s for s in files["Slot"] if s["id"].startswith("dr-pub."))
    assert slot["extension"] == [
        {"url": DEEP_LINK, "valueUrl": f"https://book.example.org/clinic?lang=en&slot={slot['id']}"},
        {"url": BOOKING_PHONE, "valueString": "+1-555-0199"},
    ]
