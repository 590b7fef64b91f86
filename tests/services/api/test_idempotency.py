"""A retried command (same Idempotency-Key, same body) returns the first
result and records nothing new; the same key for a different request is 409.
Keys belong to their caller: another caller's key, or the HL7 interface's, is
never answered with someone else's result."""

from __future__ import annotations

import services.application
from events.catalogue import PatientArrived
from services.application import legacy_receipt_id
from services.ed.application import encounter_id_for
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.api.conftest import BASE, Api
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments
from tests.services.hl7.messages import adt


def test_a_retried_triage_returns_the_first_result_and_records_nothing(api: Api):
    visit = api.arrive()
    first = api.post(f"/encounters/{visit}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    after_first = api.position()
    retry = api.post(f"/encounters/{visit}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == first.status_code == 200
    assert retry.json() == first.json()
    assert api.position() == after_first


def test_a_retried_arrival_returns_the_same_visit_with_201(api: Api):
    body = {"visit_number": "V7", "patient": {"sex": "M"}}
    first = api.post("/encounters", body, headers={"Idempotency-Key": "arrive-V7"})
    after_first = api.position()
    retry = api.post("/encounters", body, headers={"Idempotency-Key": "arrive-V7"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert api.position() == after_first


def test_the_same_key_with_a_different_body_is_a_409(api: Api):
    visit = api.arrive()
    api.post(f"/encounters/{visit}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    before = api.position()
    response = api.post(f"/encounters/{visit}/triage", {"esi": 4}, headers={"Idempotency-Key": "k-1"})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert api.position() == before


def test_the_same_key_on_another_visit_is_a_different_request(api: Api):
    first, second = api.arrive("V1"), api.arrive("V2")
    api.post(f"/encounters/{first}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    response = api.post(f"/encounters/{second}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 409


def test_without_a_key_a_repeat_is_a_new_command(api: Api):
    visit = api.arrive()
    api.ok(f"/encounters/{visit}/triage", {"esi": 2})
    before = api.position()
    api.ok(f"/encounters/{visit}/triage", {"esi": 2})
    assert api.position() == before + 1


def test_two_callers_using_the_same_key_get_independent_results(api: Api):
    first = api.client.post(
        f"{BASE}/encounters",
        json={"visit_number": "V1", "patient": {"sex": "F"}},
        headers={**api.headers(sub="user-7"), "Idempotency-Key": "arrive"},
    )
    second = api.client.post(
        f"{BASE}/encounters",
        json={"visit_number": "V2", "patient": {"sex": "M"}},
        headers={**api.headers(sub="user-8"), "Idempotency-Key": "arrive"},
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    # Each caller's retry still finds its own result.
    again = api.client.post(
        f"{BASE}/encounters",
        json={"visit_number": "V2", "patient": {"sex": "M"}},
        headers={**api.headers(sub="user-8"), "Idempotency-Key": "arrive"},
    )
    assert again.json() == second.json()


def test_an_hl7_key_over_http_is_refused_and_the_real_message_is_recorded(api: Api):
    """The HL7 interface keys its steps `hl7:<sender>:<control id>:<event>:<step>`;
    an HTTP caller sending such a key must not pre-empt the real message."""
    headers = {**api.headers(facilities=("FAC1",)), "Idempotency-Key": "hl7:EPIC:C1:ADT^A04:1"}
    before = api.position()
    response = api.client.post(
        "/api/v1/facilities/FAC1/encounters", json={"visit_number": "X1", "patient": {"sex": "U"}}, headers=headers
    )
    assert response.status_code == 422
    assert "reserved for the HL7 interface" in response.json()["error"]["message"]
    assert api.position() == before

    intake = Intake(api.hospital, FeedOptions(senders=DEMO_SENDERS))
    reply = intake.handle_frame(adt("A04", bed="").encode())
    assert segments(reply, "MSA")[0][1] == "AA"
    assert api.hospital.encounter("FAC1", str(encounter_id_for("FAC1", "V1"))).status == "waiting"
    arrived = [f for f in facts(api.hospital) if isinstance(f, PatientArrived)]
    assert [a.patient.family_name for a in arrived] == ["DOE"]


def test_a_receipt_kept_before_receipts_were_scoped_still_answers_its_retry(api: Api, monkeypatch):
    """Receipts used to be kept by facility and key alone; a retry sent after
    the change still gets the first result and records nothing."""
    visit = api.arrive()
    with monkeypatch.context() as old_version:
        old_version.setattr(
            services.application, "receipt_id", lambda facility, _scope, key: legacy_receipt_id(facility, key)
        )
        first = api.post(f"/encounters/{visit}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    after_first = api.position()
    retry = api.post(f"/encounters/{visit}/triage", {"esi": 2}, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == first.status_code == 200
    assert retry.json() == first.json()
    assert api.position() == after_first
