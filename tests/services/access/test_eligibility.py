"""Insurance eligibility through the checker interface.

We cannot run an insurer: the payer here is an in-process test double that
answers with the published FHIR example response (samples, unchanged) or a
variant of it. Everything on our side (request shape, reading the answer,
recording it on the appointment) is real."""

from __future__ import annotations

import copy
import json

import pytest

from events.catalogue import Coverage
from services.access.eligibility import FhirEligibilityChecker, ManualVerification, read_response
from services.errors import InvalidTransition
from tests.conftest import FIXTURES
from tests.services.access.conftest import at, types

SAMPLES = FIXTURES / "fhir"
RESPONSE = json.loads((SAMPLES / "CoverageEligibilityResponse-E2500.json").read_text())
REQUEST_EXAMPLE = json.loads((SAMPLES / "CoverageEligibilityRequest-52345.json").read_text())
COVERAGE = Coverage(payer="Benefits Inc", member_id="9876B1", plan="Gold")


class PayerDouble:
    """Stands in for a payer's FHIR endpoint; remembers what it was sent."""

    def __init__(self, answer: dict):
        self.answer = answer
        self.requests: list[dict] = []

    def __call__(self, request: dict) -> dict:
        self.requests.append(request)
        return self.answer


def test_the_request_has_the_shape_of_a_fhir_coverage_eligibility_request():
    payer = PayerDouble(RESPONSE)
    FhirEligibilityChecker(payer).check(COVERAGE, at(0, 9).date())
    (sent,) = payer.requests
    assert sent["resourceType"] == REQUEST_EXAMPLE["resourceType"]
    assert sent["purpose"] == REQUEST_EXAMPLE["purpose"] == ["validation"]
    assert set(REQUEST_EXAMPLE) - {"id", "text", "identifier", "priority"} <= set(sent)
    assert sent["insurance"][0]["focal"] is True and sent["servicedDate"] == "2026-03-02"
    assert "Roe" not in json.dumps(sent)  # no names leave the building


def test_an_in_force_answer_verifies_the_appointment(desk):
    visit = desk.book(at(1, 9))
    desk.app.request_verification(desk.meta(), visit, COVERAGE)
    outcome = desk.app.check_eligibility(desk.meta(), visit, FhirEligibilityChecker(PayerDouble(RESPONSE)))
    assert types(outcome) == ["InsuranceVerified"]
    assert desk.app.appointment("fac-1", visit).insurance == "verified"


def test_a_coverage_not_in_force_fails_with_the_payers_reason(desk):
    lapsed = copy.deepcopy(RESPONSE)
    lapsed["insurance"][0]["inforce"] = False
    lapsed["disposition"] = "Policy terminated 2014-06-30."
    visit = desk.book(at(1, 9))
    desk.app.request_verification(desk.meta(), visit, COVERAGE)
    assert types(desk.app.check_eligibility(desk.meta(), visit, FhirEligibilityChecker(PayerDouble(lapsed)))) == [
        "InsuranceVerificationFailed"
    ]
    assert desk.app.appointment("fac-1", visit).insurance == "failed"


def test_the_manual_default_leaves_the_decision_to_a_scheduler(desk):
    visit = desk.book(at(1, 9))
    with pytest.raises(InvalidTransition):
        desk.app.check_eligibility(desk.meta(), visit, ManualVerification())
    desk.app.request_verification(desk.meta(), visit, COVERAGE)
    assert desk.app.check_eligibility(desk.meta(), visit, ManualVerification()) is None
    assert desk.app.appointment("fac-1", visit).insurance == "requested"


def test_errors_and_foreign_answers_are_failures_not_verifications():
    errored = {**RESPONSE, "outcome": "error", "error": [{"code": {"text": "member id unknown"}}]}
    assert (read_response(errored).verified, read_response(errored).detail) == (False, "member id unknown")
    assert read_response({"resourceType": "OperationOutcome"}).verified is False
    assert read_response(RESPONSE).detail == "881234"
