"""The hallway screen in real headless Chromium, fed by the real chain: stays
appear and move by push over /ws/hallway, no identifying field ever reaches
the page, and a stopped feed reads "not live"."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LIVE_TIMEOUT_MS

pytestmark = [pytest.mark.kafka, pytest.mark.browser]
PLANTED = {"given_name": "Quintessa", "family_name": "Vandermolen", "mrn": "MRN-884211", "birth_date": "1961-07-23"}


def open_hallway(browser, chain) -> Page:
    page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
    page.goto(chain.url + "/hallway")
    page.fill("#token", chain.token("hall-screen-1", "display"))
    page.fill("#facility", "demo")
    page.click("#login-form button[type=submit]")
    expect(page.get_by_test_id("live")).to_have_text("live", timeout=LIVE_TIMEOUT_MS)
    return page


def test_the_hallway_screen_updates_by_push_and_shows_no_identifying_field(chain, browser):
    page = open_hallway(browser, chain)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    rows_before = page.get_by_test_id("stay").count()

    intake = chain.token("desk-ben", "intake")
    body = {
        "visit_number": f"V{uuid.uuid4().hex[:8]}",
        "chief_complaint": "twisted ankle",
        "arrival_mode": "walk-in",
        "patient": {**PLANTED, "sex": "F"},
    }
    created = chain.post("/api/v1/facilities/demo/encounters", intake, body)
    code = created["stay_code"]
    row = page.locator(f'[data-testid=stay][data-code="{code}"]')
    expect(row).to_contain_text("waiting", timeout=LIVE_TIMEOUT_MS)
    expect(row).to_contain_text("under 30 min")
    assert page.get_by_test_id("stay").count() == rows_before + 1

    # A bed moves the stay on the screen, again without the page asking.
    nurse = chain.token("nurse-ana", "charge-nurse")
    chain.post(f"/api/v1/facilities/demo/encounters/{created['id']}/triage", nurse, {"esi": 4})
    chain.post(f"/api/v1/facilities/demo/encounters/{created['id']}/bed", nurse, {"bed_id": "B7"})
    expect(row).to_contain_text("in treatment", timeout=LIVE_TIMEOUT_MS)
    assert requests == [], f"the screen polled: {requests}"

    content = page.content()
    for planted in (*PLANTED.values(), "Quintessa"[:1] + "Vandermolen"[:1] + " ·", "twisted ankle", created["id"]):
        assert planted not in content, planted
    page.context.close()


def test_the_hallway_screen_says_not_live_when_the_feed_stops_and_recovers(chain, browser):
    page = open_hallway(browser, chain)
    # Cut the socket from the page side the way a network drop would.
    page.context.set_offline(True)
    expect(page.get_by_test_id("live")).to_contain_text("not live", timeout=LIVE_TIMEOUT_MS)
    page.context.set_offline(False)
    expect(page.get_by_test_id("live")).to_have_text("live", timeout=LIVE_TIMEOUT_MS)
    page.context.close()
