"""The auditor's page in real headless Chromium over the real chain: scrubbed
to an instant, it shows what `edflow replay --at` prints for that instant,
it marks an event documented later than it happened, and it opens a
patient's timeline across visits with a correction beside what it corrected."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.kafka, pytest.mark.browser]
LOAD_MS = 20_000


def open_auditor(browser, chain) -> Page:
    page = browser.new_context(viewport={"width": 1500, "height": 1100}, timezone_id="UTC").new_page()
    page.goto(chain.url + "/auditor")
    page.fill("#token", chain.token("audit-ivy", "auditor"))
    page.fill("#facility", "demo")
    page.click("#login-form button[type=submit]")
    expect(page.get_by_test_id("state")).to_contain_text("events folded", timeout=LOAD_MS)
    return page


def arrive(chain, token: str, complaint: str, **extra: str) -> str:
    body = {
        **extra,
        "visit_number": f"V{uuid.uuid4().hex[:8]}",
        "chief_complaint": complaint,
        "arrival_mode": "walk-in",
        "patient": {"given_name": "Nia", "family_name": "Orr", "age_years": 52, "sex": "F"},
    }
    return chain.post("/api/v1/facilities/demo/encounters", token, body)["id"]


def test_scrubbing_to_an_instant_shows_what_edflow_replay_prints_for_it(chain, browser):
    intake, nurse = chain.token("desk-ben", "intake"), chain.token("nurse-ana", "charge-nurse")
    first = arrive(chain, intake, "headache")
    second = arrive(chain, intake, "fall")
    chain.post(f"/api/v1/facilities/demo/encounters/{second}/triage", nurse, {"esi": 3})
    chain.post(f"/api/v1/facilities/demo/encounters/{second}/bed", nurse, {"bed_id": "A2"})
    time.sleep(1.2)
    at = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.2)
    arrive(chain, intake, "after the instant")  # must not be on the board as of `at`

    page = open_auditor(browser, chain)
    slider = page.get_by_test_id("slider")
    slider.fill(str(int(at.timestamp() * 1000)))
    expect(page.get_by_test_id("as-of")).to_have_attribute("data-at", at.isoformat(), timeout=LOAD_MS)
    expect(page.get_by_test_id("state")).to_contain_text("events folded", timeout=LOAD_MS)

    printed = json.loads(chain.run("replay", "--at", at.isoformat(), "--facility", "demo", "--json"))
    rows = page.locator("[data-testid=waiting-row]")
    assert {rows.nth(i).get_attribute("data-encounter") for i in range(rows.count())} == {
        row["id"] for row in printed["waiting"]
    }
    assert first in {row["id"] for row in printed["waiting"]}
    tiles = page.locator("[data-testid=bed]")
    shown = {
        tiles.nth(i).get_attribute("data-bed"): tiles.nth(i).get_attribute("data-status") for i in range(tiles.count())
    }
    assert shown == {bed["bed_id"]: bed["status"] for beds in printed["beds"].values() for bed in beds}
    assert shown["A2"] == "occupied"
    expect(page.get_by_test_id("census")).to_contain_text(str(printed["capacity"]["census"]))
    expect(page.get_by_test_id("nedocs")).to_contain_text(str(printed["capacity"]["nedocs"]["score"]))
    page.context.close()


def test_an_event_documented_late_is_marked_with_both_times(chain, browser):
    intake, nurse = chain.token("desk-ben", "intake"), chain.token("nurse-ana", "charge-nurse")
    arrived = datetime.now(UTC) - timedelta(minutes=30)
    visit = arrive(chain, intake, "cough", occurred_at=arrived.isoformat())
    happened = arrived + timedelta(minutes=10)
    chain.post(
        f"/api/v1/facilities/demo/encounters/{visit}/triage", nurse, {"esi": 4, "occurred_at": happened.isoformat()}
    )

    page = open_auditor(browser, chain)
    mark = page.locator("[data-testid=mark][data-type=PatientTriaged]")
    expect(mark).to_have_count(1, timeout=LOAD_MS)
    cells = mark.locator("td")
    assert cells.nth(1).inner_text() != cells.nth(2).inner_text()  # occurred and recorded differ
    assert "nurse-ana (charge-nurse)" in mark.inner_text()

    # The diff of two instants names who came between them.
    before = (arrived - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#other", before)
    page.get_by_test_id("compare").click()
    expect(page.get_by_test_id("diff-came")).to_contain_text("cough", timeout=LOAD_MS)
    page.context.close()


def test_the_access_log_a_visits_timeline_and_the_chain_are_on_the_page(chain, browser):
    intake = chain.token("desk-ben", "intake")
    visit = arrive(chain, intake, "sore throat")
    page = open_auditor(browser, chain)
    page.locator("#records summary").first.click()
    page.fill("#access-actor", "audit-ivy")
    page.get_by_test_id("access-show").click()
    expect(page.get_by_test_id("access-rows")).to_contain_text("board.replay", timeout=LOAD_MS)
    with page.expect_download() as download:
        page.get_by_test_id("access-csv").click()
    text = open(download.value.path()).read()
    assert text.splitlines()[0].startswith("at,facility_id,actor_id") and "audit-ivy" in text

    page.locator("#records summary").nth(1).click()
    page.fill("#visit", visit)
    page.get_by_test_id("visit-show").click()
    expect(page.get_by_test_id("visit-event").first).to_contain_text("PatientArrived", timeout=LOAD_MS)
    expect(page.get_by_test_id("visit-event").first).to_contain_text("desk-ben (intake)")

    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("chain")).to_contain_text("intact: verified up to position", timeout=LOAD_MS)
    page.context.close()


def test_a_patients_timeline_shows_both_visits_and_the_correction_beside_what_it_corrected(chain, browser):
    intake, nurse = chain.token("desk-ben", "intake"), chain.token("nurse-2", "charge-nurse")
    mrn, visits = f"M{uuid.uuid4().hex[:8]}", [f"V{uuid.uuid4().hex[:8]}" for _ in range(2)]
    earlier = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    ids = []
    for visit, complaint, occurred in ((visits[0], "chest pain", earlier), (visits[1], "cough", None)):
        body = {
            "visit_number": visit,
            "chief_complaint": complaint,
            "patient": {"mrn": mrn, "given_name": "Nia", "family_name": "Orr", "sex": "F"},
            **({"occurred_at": occurred} if occurred else {}),
        }
        ids.append(chain.post("/api/v1/facilities/demo/encounters", intake, body)["id"])
    fix = {"chief_complaint": "abdominal pain"}
    chain.post(f"/api/v1/facilities/demo/encounters/{ids[0]}", nurse, fix, method="PATCH")

    page = open_auditor(browser, chain)
    # From the first visit's timeline to the patient's.
    page.locator("#records summary").nth(1).click()
    page.fill("#visit", visits[0])
    page.get_by_test_id("visit-show").click()
    expect(page.get_by_test_id("visit-patient")).to_have_attribute("data-mrn", mrn, timeout=LOAD_MS)
    page.get_by_test_id("visit-patient").click()
    rows = page.get_by_test_id("patient-event")
    expect(rows).to_have_count(3, timeout=LOAD_MS)
    shown = [(rows.nth(i).get_attribute("data-reference"), rows.nth(i).get_attribute("data-type")) for i in range(3)]
    assert shown == [
        (visits[0], "PatientArrived"),
        (visits[1], "PatientArrived"),
        (visits[0], "PatientDetailsUpdated"),
    ]
    expect(page.get_by_test_id("patient-records")).to_contain_text(f"visit {visits[0]}, visit {visits[1]}")

    correction = page.locator("[data-testid=patient-event][data-type=PatientDetailsUpdated]")
    expect(correction.get_by_test_id("correction")).to_contain_text("chief complaint: 'chest pain' → 'abdominal pain'")
    expect(correction.get_by_test_id("correction")).to_contain_text("corrected by nurse-2 (charge-nurse)")
    expect(correction.get_by_test_id("corrected")).to_contain_text("PatientArrived")
    expect(correction.get_by_test_id("corrected")).to_contain_text("desk-ben (intake)")
    arrival = page.locator(f"[data-testid=patient-event][data-type=PatientArrived][data-reference={visits[0]}]")
    expect(arrival.get_by_test_id("corrected-by")).to_contain_text("nurse-2 (charge-nurse)")
    assert "Orr" not in page.get_by_test_id("patient-rows").inner_text()

    # Typed in the search box, by recorded time: the late first arrival is still first
    # (recorded first); an unknown MRN says so.
    page.select_option("#patient-by", "recorded")
    page.fill("#mrn", mrn)
    page.get_by_test_id("patient-show").click()
    expect(rows.first).to_have_attribute("data-reference", visits[0], timeout=LOAD_MS)
    page.fill("#mrn", "M-unknown")
    page.get_by_test_id("patient-show").click()
    expect(page.get_by_test_id("state")).to_contain_text("no visit or appointment with that MRN", timeout=LOAD_MS)

    entries = [json.loads(line) for line in chain.run("audit", "access", "--record", mrn, "--json").splitlines()]
    reads = [(e["actor_id"], e["action"], e["resource"]) for e in entries]
    assert reads.count(("audit-ivy", "read", "patient-timeline")) == 2
    assert ("audit-ivy", "disclosed", "patient-timeline") in reads
    disclosed = next(e for e in entries if e["action"] == "disclosed")
    assert disclosed["disclosed"] == [f"Encounter/{i}" for i in ids]
    page.context.close()
