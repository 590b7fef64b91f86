"""Insurance asked of the payer over HTTP (`EDFLOW_ELIGIBILITY_URL`).

The payer is the one thing we cannot run: a small real HTTP server on
127.0.0.1 (`tests.local_payer`, http.server in a thread) speaks the FHIR
exchange in its place. Everything of ours is real: the API, the store, the
httpx client, the work queue."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from base.settings import Settings
from base.store_log import to_envelope
from events.catalogue import InsuranceVerified
from events.envelope import Actor
from projections.work_queue_reader import WorkQueueReader
from services.api.app import create_app
from services.hospital import Hospital
from tests.local_payer import LocalPayer, closed_port_url, local_payer
from tests.services.api.conftest import Api, with_secret

AS_OF = "2026-03-02T09:00:00%2B00:00"
CHECK = "/appointments/A1/insurance-verification/payer-check"
COVERAGE = {"payer": "Benefits Inc", "member_id": "9876B1", "plan": "Gold"}
PATIENT = {"given_name": "Zebulon", "family_name": "Okafor", "mrn": "MRN-2", "sex": "M", "birth_date": "1961-05-04"}


@pytest.fixture
def payer() -> Iterator[LocalPayer]:
    with local_payer() as running:
        yield running


def desk_for(settings: Settings, url: str, timeout: float = 10.0) -> Iterator[Api]:
    settings = with_secret(settings).model_copy(
        update={"eligibility_url": url, "eligibility_token": "payer-secret", "eligibility_timeout_seconds": timeout}
    )
    hospital = Hospital(settings)
    with TestClient(create_app(settings, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, settings, hospital)
    hospital.close()


@pytest.fixture
def desk(sqlite_settings: Settings, payer: LocalPayer) -> Iterator[Api]:
    yield from desk_for(sqlite_settings, payer.url)


def pending(api: Api) -> None:
    body = {
        "appointment_id": "A1",
        "patient": PATIENT,
        "provider_id": "dr-kim",
        "department": "ortho",
        "appointment_type": "ed-follow-up",
        "start": "2026-03-03T09:00:00+00:00",
        "end": "2026-03-03T09:30:00+00:00",
    }
    api.ok("/appointments", body)
    api.ok("/appointments/A1/insurance-verification", {"coverage": COVERAGE})


def ask(api: Api):
    return api.post(CHECK, {}, headers=api.headers(role="scheduler", sub="desk-sam"))


def queue_row(api: Api) -> dict:
    queue = api.get(f"/work-queue?as_of={AS_OF}").json()
    (row,) = [r for r in queue["unverified_coverage"] if r["appointment_id"] == "A1"] or [None]
    return row


def test_coverage_in_force_is_verified_as_the_scheduler_who_asked(desk: Api, payer: LocalPayer):
    pending(desk)
    response = ask(desk)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["insurance"], answer["detail"]) == ("verified", "881234")
    assert [e["type"] for e in answer["events"]] == ["InsuranceVerified"]
    last = desk.hospital.recorder.select_notifications(start=desk.position(), limit=1)[0]
    envelope = to_envelope(last, desk.hospital.mapper.to_domain_event(last))
    assert envelope is not None and envelope.actor == Actor(id="desk-sam", role="scheduler")
    fact: object = envelope.data
    assert isinstance(fact, InsuranceVerified) and fact.method == "fhir"
    assert queue_row(desk) is None  # verified: off the queue
    assert desk.get("/appointments/A1").json()["insurance"] == "verified"


def test_the_request_names_the_patient_coverage_and_appointment_but_no_names(desk: Api, payer: LocalPayer):
    pending(desk)
    assert ask(desk).status_code == 200
    (sent,), (headers,) = payer.requests, payer.headers
    assert headers["authorization"] == "Bearer payer-secret"
    assert headers["content-type"] == "application/fhir+json"
    assert sent["resourceType"] == "CoverageEligibilityRequest" and sent["purpose"] == ["validation"]
    assert sent["identifier"] == [{"system": "urn:edflow:appointment", "value": "fac-1/A1"}]
    assert sent["servicedDate"] == "2026-03-03"
    contained = {r["resourceType"]: r for r in sent["contained"]}
    assert contained["Patient"]["identifier"][0]["value"] == "9876B1"
    assert (contained["Patient"]["birthDate"], contained["Patient"]["gender"]) == ("1961-05-04", "male")
    assert contained["Coverage"]["subscriberId"] == "9876B1"
    assert contained["Coverage"]["payor"] == [{"display": "Benefits Inc"}]
    assert contained["Coverage"]["class"][0]["value"] == "Gold"
    assert sent["patient"]["reference"] == "#patient"
    assert sent["insurance"] == [
        {"focal": True, "coverage": {"reference": "#coverage", "identifier": {"value": "9876B1"}, "display": "Gold"}}
    ]
    text = json.dumps(sent)
    assert "Okafor" not in text and "Zebulon" not in text and "MRN-2" not in text


def test_coverage_not_in_force_fails_with_the_payers_reason(desk: Api, payer: LocalPayer):
    payer.answer = "lapsed"
    pending(desk)
    response = ask(desk)
    assert response.status_code == 200, response.text
    assert (response.json()["insurance"], response.json()["detail"]) == ("failed", "Policy terminated 2014-06-30.")
    row = queue_row(desk)
    assert (row["insurance"], row["insurance_detail"]) == ("failed", "Policy terminated 2014-06-30.")


def test_an_error_outcome_fails_with_the_payers_error(desk: Api, payer: LocalPayer):
    payer.answer = "error"
    pending(desk)
    assert ask(desk).json()["detail"] == "member id unknown"


@pytest.mark.parametrize(
    ("answer", "status", "code", "reason"),
    [
        ("down", 502, "payer_unavailable", "payer failed to answer (HTTP 503)"),
        ("garbage", 502, "payer_unavailable", "payer answered with a body that is not JSON"),
    ],
)
def test_a_payer_without_a_usable_answer_is_a_failed_check_and_a_clear_error(
    desk: Api, payer: LocalPayer, answer: str, status: int, code: str, reason: str, caplog
):
    payer.answer = answer
    pending(desk)
    with caplog.at_level(logging.DEBUG):
        response = ask(desk)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (code, reason)
    assert error["details"]["recorded"] == "InsuranceVerificationFailed"
    row = queue_row(desk)
    assert (row["insurance"], row["insurance_detail"]) == ("failed", reason)
    assert "9876B1" not in caplog.text and "Okafor" not in caplog.text


def test_a_payer_that_does_not_answer_in_time_is_a_504(sqlite_settings: Settings, payer: LocalPayer):
    payer.answer = "silent"
    for api in desk_for(sqlite_settings, payer.url, timeout=0.5):
        pending(api)
        response = ask(api)
        assert response.status_code == 504
        assert response.json()["error"] == {
            "code": "payer_timeout",
            "message": "payer did not answer in 0.5 s",
            "details": {"appointment_id": "A1", "recorded": "InsuranceVerificationFailed"},
        }
        assert queue_row(api)["insurance_detail"] == "payer did not answer in 0.5 s"
        # The check is over: asking again needs a new request first.
        assert ask(api).status_code == 409


def test_a_payer_that_refuses_connections_is_a_502(sqlite_settings: Settings):
    for api in desk_for(sqlite_settings, closed_port_url()):
        pending(api)
        response = ask(api)
        assert response.status_code == 502
        assert response.json()["error"]["message"] == "payer could not be reached (connection refused or host unknown)"
        assert queue_row(api)["insurance"] == "failed"


def test_without_a_payer_link_insurance_stays_manual(api: Api):
    pending(api)
    response = api.post(CHECK, {})
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_payer_link"
    assert api.get("/scheduling/directory").status_code in (200, 404)
    api.ok("/appointments/A1/insurance-verification/result", {"verified": True, "detail": "phoned"})
    assert api.get("/appointments/A1").json()["insurance"] == "verified"


def test_nothing_is_pending_is_a_409_and_the_payer_is_not_asked(desk: Api, payer: LocalPayer):
    desk.ok(
        "/appointments",
        {
            "appointment_id": "A1",
            "patient": PATIENT,
            "provider_id": "dr-kim",
            "department": "ortho",
            "appointment_type": "ed-follow-up",
            "start": "2026-03-03T09:00:00+00:00",
            "end": "2026-03-03T09:30:00+00:00",
        },
    )
    assert ask(desk).status_code == 409
    assert payer.requests == []
