"""Booking over FHIR goes through the booking command: a client books a free
Slot, a second client trying the same Slot gets a 409 OperationOutcome; a
retry with the same key or identifier books once; PATCH and PUT cancel and
move; the role table decides who may."""

from __future__ import annotations

from datetime import time

import pytest
from fhir.resources.R4B.appointment import Appointment

from services.fhir.booking import NO_SCHEDULE
from tests.services.fhir.conftest import BASE, client_for, meta

DAY = "2026-03-16"  # a Monday


@pytest.fixture
def clinic(scenario_hospital):
    week = [(d, time(9), time(12)) for d in range(5)]
    scenario_hospital.define_schedule(meta(1, 9), "provider", "dr-b", "clinic", "UTC", week, {"outpatient-visit": 30})
    return scenario_hospital


def free_slots(client) -> list[dict]:
    body = client.get(f"{BASE}/Slot", params={"schedule": "dr-b", "start": DAY, "status": "free"}).json()
    return [e["resource"] for e in body.get("entry", [])]


def appointment(slot_id: str, mrn: str = "MRN-ADA", **more) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [
            {"actor": {"reference": f"Patient/{mrn}", "display": "Lovelace, Ada"}, "status": "accepted"},
            {"actor": {"reference": "Practitioner/dr-b"}, "status": "accepted"},
        ],
        **more,
    }


def test_the_second_client_to_book_a_free_slot_gets_a_409_outcome(clinic, fhir_app, settings):
    first, second = client_for(fhir_app, settings, "scheduler"), client_for(fhir_app, settings, "admin")
    slot = free_slots(first)[0]
    assert slot["id"] in {s["id"] for s in free_slots(second)}  # both see it free
    booked = first.post(f"{BASE}/Appointment", json=appointment(slot["id"], description="check-up"))
    assert booked.status_code == 201, booked.text
    body = booked.json()
    Appointment.model_validate(body)
    assert (body["status"], body["start"], body["end"]) == ("booked", slot["start"], slot["end"])
    assert booked.headers["location"].endswith(f"{BASE}/Appointment/{body['id']}")
    assert first.get(f"{BASE}/Slot/{slot['id']}").json()["status"] == "busy"
    taken = second.post(f"{BASE}/Appointment", json=appointment(slot["id"], mrn="MRN-ALAN"))
    assert taken.status_code == 409
    issue = taken.json()["issue"][0]
    assert taken.json()["resourceType"] == "OperationOutcome" and issue["code"] == "conflict"
    assert "already has an appointment" in issue["diagnostics"]


def test_a_retry_books_once(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    slots = free_slots(client)
    by_key = [client.post(f"{BASE}/Appointment", json=appointment(slots[0]["id"]), headers={"Idempotency-Key": "k-1"})
              for _ in range(2)]  # fmt: skip
    assert [r.status_code for r in by_key] == [201, 201] and by_key[0].json()["id"] == by_key[1].json()["id"]
    conditional = {"If-None-Exist": "identifier=ap-fhir-1"}
    made = client.post(f"{BASE}/Appointment", json=appointment(slots[1]["id"]), headers=conditional)
    again = client.post(f"{BASE}/Appointment", json=appointment(slots[1]["id"]), headers=conditional)
    assert (made.status_code, again.status_code) == (201, 200)
    assert made.json()["id"] == again.json()["id"] == "ap-fhir-1"
    assert len(free_slots(client)) == len(slots) - 2


def test_patch_moves_and_cancels_and_put_cancels(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    slots = free_slots(client)
    made = client.post(f"{BASE}/Appointment", json=appointment(slots[0]["id"])).json()
    moved = client.patch(f"{BASE}/Appointment/{made['id']}", json={"slot": [{"reference": f"Slot/{slots[3]['id']}"}]})
    assert moved.status_code == 200 and moved.json()["start"] == slots[3]["start"]
    assert {s["id"] for s in free_slots(client)} == {s["id"] for s in slots} - {slots[3]["id"]}
    no_reason = client.patch(
        f"{BASE}/Appointment/{made['id']}", json=[{"op": "replace", "path": "/status", "value": "cancelled"}]
    )
    assert no_reason.status_code == 422 and no_reason.json()["resourceType"] == "OperationOutcome"
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"},
              {"op": "add", "path": "/cancelationReason", "value": {"text": "patient request"}}]  # fmt: skip
    assert client.patch(f"{BASE}/Appointment/{made['id']}", json=cancel).json()["status"] == "cancelled"
    assert len(free_slots(client)) == len(slots)
    other = client.post(f"{BASE}/Appointment", json=appointment(slots[1]["id"])).json()
    whole = {**other, "status": "cancelled", "cancelationReason": {"text": "clinic closed"}}
    assert client.put(f"{BASE}/Appointment/{other['id']}", json=whole).json()["status"] == "cancelled"


def test_the_role_table_decides_who_may_book(clinic, fhir_app, settings):
    slot = free_slots(client_for(fhir_app, settings, "scheduler"))[0]
    refused = client_for(fhir_app, settings, "provider").post(f"{BASE}/Appointment", json=appointment(slot["id"]))
    assert refused.status_code == 403 and refused.json()["issue"][0]["code"] == "forbidden"
    anonymous = fhir_app and client_for(fhir_app, settings, "scheduler")
    anonymous.headers.pop("Authorization")
    assert anonymous.post(f"{BASE}/Appointment", json=appointment(slot["id"])).status_code == 401


def test_what_the_rules_refuse_is_a_422_outcome(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    nobody = appointment("x")
    nobody["participant"][1]["actor"]["reference"] = "Practitioner/dr-nobody"
    refused = client.post(f"{BASE}/Appointment", json=nobody)
    assert refused.status_code == 422 and NO_SCHEDULE in refused.json()["issue"][0]["diagnostics"]
    times = appointment("x", start="2026-03-16T09:00:00Z", end="2026-03-16T09:30:00Z")
    assert client.post(f"{BASE}/Appointment", json=times).status_code == 422  # a Slot or times, not both
    del times["slot"]
    assert client.post(f"{BASE}/Appointment", json=times).status_code == 201
    broken = client.post(f"{BASE}/Appointment", content=b"{", headers={"Content-Type": "application/fhir+json"})
    assert broken.status_code == 400 and broken.json()["resourceType"] == "OperationOutcome"
