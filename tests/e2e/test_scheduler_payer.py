"""The scheduling desk asks the payer from the work queue, in real headless
Chromium against the real chain, whose server is configured with a payer
endpoint (`EDFLOW_ELIGIBILITY_URL`).

The payer is the one thing we cannot run: a small real HTTP server on
127.0.0.1 (`tests.local_payer`) speaks the FHIR eligibility exchange in its
place, in this test process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.chain import Chain
from tests.e2e.conftest import running_chain
from tests.e2e.scheduler_desk import at, book, define_clinic_schedules, open_desk, tomorrow
from tests.local_payer import LocalPayer, local_payer

pytestmark = [pytest.mark.kafka, pytest.mark.browser]


@pytest.fixture(scope="module")
def payer() -> Iterator[LocalPayer]:
    with local_payer() as running:
        yield running


@pytest.fixture(scope="module")
def chain(tmp_path_factory, request, kafka_bootstrap: str, payer: LocalPayer) -> Iterator[Chain]:
    yield from running_chain(
        tmp_path_factory,
        request,
        kafka_bootstrap,
        EDFLOW_ELIGIBILITY_URL=payer.url,
        EDFLOW_ELIGIBILITY_TOKEN="payer-secret",
        EDFLOW_ELIGIBILITY_TIMEOUT_SECONDS="3",
    )


@pytest.fixture(scope="module")
def scheduler(chain: Chain) -> str:
    token = chain.token("desk-pat", "scheduler")
    define_clinic_schedules(chain, token)
    return token


def test_insurance_is_verified_through_the_payer_and_a_silent_payer_is_reported(browser, chain, scheduler, payer):
    day = tomorrow()
    covered = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 8), 30, "Payer")
    unanswered = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 9), 30, "Down")
    chain.post(
        f"/api/v1/facilities/demo/appointments/{unanswered}/insurance-verification",
        scheduler,
        {"coverage": {"payer": "Benefits Inc", "member_id": "5555X"}},
    )
    page = open_desk(browser, chain, scheduler)

    row = page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{covered}']")
    row.get_by_label("Payer").fill("Benefits Inc")
    row.get_by_label("Member id").fill("9876B1")
    row.get_by_role("button", name="Request check").click()
    expect(page.get_by_test_id("toast-ok").last).to_contain_text("Coverage verified by the payer (ref. 881234)")
    expect(row).to_have_count(0)
    (sent,) = payer.requests
    assert sent["identifier"][0]["value"] == f"demo/{covered}"
    assert payer.headers[0]["authorization"] == "Bearer payer-secret"

    payer.answer = "down"
    row = page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{unanswered}']")
    row.get_by_role("button", name="Ask the payer").click()
    expect(page.get_by_test_id("toast-error").last).to_contain_text(
        "The payer check failed: payer failed to answer (HTTP 503)"
    )
    expect(row.get_by_test_id("insurance-detail")).to_have_text("insurance failed: payer failed to answer (HTTP 503)")
