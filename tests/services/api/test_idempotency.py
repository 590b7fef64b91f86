"""A retried command (same Idempotency-Key, same body) returns the first
result and records nothing new; the same key for a different request is 409."""

from __future__ import annotations

from tests.services.api.conftest import Api


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
