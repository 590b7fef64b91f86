"""The board in real headless Chromium, fed by the real chain: commands go to
`edflow serve`, the relay publishes them, the worker folds them, the
dashboard fans them out. The tests run in order and share one chain."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from base.facility import load_facility
from base.settings import Settings
from tests.e2e.conftest import LIVE_TIMEOUT_MS, open_board

pytestmark = [pytest.mark.kafka, pytest.mark.browser]
FACILITY_ZONE = load_facility(Settings().facility_config).zone  # the demo hospital the chain serves
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def nurse(chain) -> str:
    return chain.token("nurse-ana", "charge-nurse")


@pytest.fixture(scope="module")
def intake(chain) -> str:
    return chain.token("desk-ben", "intake")


def arrive(chain, intake: str, initials: str, complaint: str, esi: int | None = 3) -> str:
    """Registered at the desk, triaged by the charge nurse."""
    given, family = tuple(initials)
    body = {
        "visit_number": f"V{uuid.uuid4().hex[:8]}",
        "chief_complaint": complaint,
        "arrival_mode": "walk-in",
        "patient": {"given_name": given + "ara", "family_name": family + "ole", "age_years": 47, "sex": "F"},
    }
    encounter = chain.post("/api/v1/facilities/demo/encounters", intake, body)["id"]
    if esi is not None:
        chain.post(
            f"/api/v1/facilities/demo/encounters/{encounter}/triage",
            chain.token("nurse-triage", "charge-nurse"),
            {"esi": esi},
        )
    return encounter


def bed(page: Page, bed_id: str):
    return page.locator(f'[data-testid=bed][data-bed="{bed_id}"]')


def test_a_token_in_the_address_is_refused_and_scrubbed(chain, browser):
    page = browser.new_page()
    page.goto(chain.url + "/?token=abc.def.ghi")
    expect(page.locator("#login-error")).to_contain_text("not accepted in the address")
    assert "token" not in page.url
    page.context.close()


def test_an_arrival_posted_through_the_api_appears_in_the_waiting_room(chain, browser, nurse, intake):
    page = open_board(browser, chain, nurse)
    expect(bed(page, "A1")).to_have_attribute("data-status", "available", timeout=LIVE_TIMEOUT_MS)
    encounter = arrive(chain, intake, "MK", "chest pain")
    row = page.locator(f'[data-testid=waiting-row][data-encounter="{encounter}"]')
    expect(row).to_contain_text("ESI 3", timeout=LIVE_TIMEOUT_MS)
    expect(row).to_contain_text("MK · 47 · F")
    expect(row).to_contain_text("chest pain")
    # The minimum necessary: no names on the board.
    assert "Mara" not in page.content() and "Kole" not in page.content()
    page.context.close()


def test_assigning_a_bed_on_one_page_turns_it_occupied_on_another(chain, browser, nurse, intake):
    first, second = (
        open_board(browser, chain, nurse),
        open_board(browser, chain, chain.token("nurse-cy", "charge-nurse")),
    )
    encounter = arrive(chain, intake, "JD", "fall, wrist pain", esi=4)
    first.locator(f'[data-testid=waiting-row][data-encounter="{encounter}"]').click(timeout=LIVE_TIMEOUT_MS)
    bed(first, "A2").locator("[data-action=assign]").click()
    expect(bed(second, "A2")).to_have_attribute("data-status", "occupied", timeout=LIVE_TIMEOUT_MS)
    expect(bed(second, "A2")).to_contain_text("ESI 4")
    expect(second.locator(f'[data-testid=waiting-row][data-encounter="{encounter}"]')).to_have_count(0)
    expect(bed(first, "A2")).to_have_attribute("data-status", "occupied", timeout=LIVE_TIMEOUT_MS)
    # Release, clean, block and unblock through the page, watched from the other.
    bed(first, "A2").locator("[data-action=release]").click()
    expect(bed(second, "A2")).to_have_attribute("data-status", "dirty", timeout=LIVE_TIMEOUT_MS)
    bed(second, "A2").locator("[data-action=start-cleaning]").click()
    expect(bed(first, "A2")).to_have_attribute("data-status", "cleaning", timeout=LIVE_TIMEOUT_MS)
    bed(first, "A2").locator("[data-action=cleaned]").click()
    expect(bed(second, "A2")).to_have_attribute("data-status", "available", timeout=LIVE_TIMEOUT_MS)
    bed(second, "A2").locator("[data-action=block]").click()
    second.fill("#block-reason", "monitor broken")
    second.click("#block-confirm")
    expect(bed(first, "A2")).to_have_attribute("data-status", "blocked", timeout=LIVE_TIMEOUT_MS)
    expect(bed(first, "A2")).to_contain_text("monitor broken")
    bed(first, "A2").locator("[data-action=unblock]").click()
    expect(bed(second, "A2")).to_have_attribute("data-status", "available", timeout=LIVE_TIMEOUT_MS)
    first.context.close()
    second.context.close()


def test_a_charge_nurse_triages_and_assigns_provider_and_nurse_from_the_page(chain, browser, nurse, intake):
    page, watcher = open_board(browser, chain, nurse), open_board(browser, chain, chain.token("cora", "coordinator"))
    encounter = arrive(chain, intake, "LP", "shortness of breath", esi=None)
    row = f'[data-testid=waiting-row][data-encounter="{encounter}"]'
    page.locator(row).click(timeout=LIVE_TIMEOUT_MS)
    actions = page.get_by_test_id("patient-actions")
    actions.get_by_label("ESI level").select_option("2")
    actions.get_by_test_id("triage-form").get_by_role("button", name="Set").click()
    expect(watcher.locator(row)).to_contain_text("ESI 2", timeout=LIVE_TIMEOUT_MS)
    actions.get_by_label("Provider staff id").fill("dr-kim")
    actions.get_by_test_id("provider-form").get_by_role("button", name="Assign").click()
    actions.get_by_label("Nurse staff id").fill("rn-lee")
    actions.get_by_test_id("nurse-form").get_by_role("button", name="Assign").click()
    expect(watcher.locator(row).get_by_test_id("staff")).to_have_text("Dr dr-kim · RN rn-lee", timeout=LIVE_TIMEOUT_MS)
    # A coordinator watches but is offered no action; staff follow the patient into a bed.
    watcher.locator(row).click()
    expect(watcher.locator("#selection")).to_contain_text("Selected LP")
    expect(watcher.get_by_test_id("patient-actions")).to_be_hidden()
    bed(page, "A9").locator("[data-action=assign]").click()
    staff = bed(watcher, "A9").get_by_test_id("bed-staff")
    expect(staff).to_have_text("Dr dr-kim · RN rn-lee", timeout=LIVE_TIMEOUT_MS)
    bed(page, "A9").locator("[data-action=release]").click()
    expect(bed(watcher, "A9")).to_have_attribute("data-status", "dirty", timeout=LIVE_TIMEOUT_MS)
    page.context.close()
    watcher.context.close()


def test_a_conflict_is_shown_plainly_and_the_page_changes_only_when_the_delta_arrives(chain, browser, nurse, intake):
    page = open_board(browser, chain, nurse)
    mine, theirs = arrive(chain, intake, "AL", "headache"), arrive(chain, intake, "BO", "cough")
    expect(page.locator(f'[data-testid=waiting-row][data-encounter="{theirs}"]')).to_have_count(
        1, timeout=LIVE_TIMEOUT_MS
    )
    worker = chain.processes["worker"].pid
    os.kill(worker, signal.SIGSTOP)  # the board stops moving; the API does not
    try:
        chain.post(f"/api/v1/facilities/demo/encounters/{theirs}/bed", nurse, {"bed_id": "A3"})
        page.locator(f'[data-testid=waiting-row][data-encounter="{mine}"]').click()
        bed(page, "A3").locator("[data-action=assign]").click()
        expect(page.get_by_test_id("toast-conflict")).to_contain_text("A3", timeout=LIVE_TIMEOUT_MS)
        expect(bed(page, "A3")).to_have_attribute("data-status", "available")
    finally:
        os.kill(worker, signal.SIGCONT)
    expect(bed(page, "A3")).to_have_attribute("data-status", "occupied", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator(f'[data-testid=waiting-row][data-encounter="{mine}"]')).to_have_count(1)
    page.context.close()


def test_the_page_reconnects_after_the_server_is_killed_and_restarted_and_shows_the_right_board(
    chain, browser, nurse, intake
):
    page = open_board(browser, chain, nurse)
    expect(bed(page, "A3")).to_have_attribute("data-status", "occupied", timeout=LIVE_TIMEOUT_MS)
    chain.stop("serve", sig=signal.SIGKILL)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    chain.serve()
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT_MS)
    encounter = arrive(chain, intake, "RS", "abdominal pain", esi=2)
    chain.post(f"/api/v1/facilities/demo/encounters/{encounter}/bed", nurse, {"bed_id": "R1"})
    expect(bed(page, "R1")).to_have_attribute("data-status", "occupied", timeout=LIVE_TIMEOUT_MS)
    expect(bed(page, "A3")).to_have_attribute("data-status", "occupied")
    expect(bed(page, "A2")).to_have_attribute("data-status", "available")
    page.context.close()


def test_choosing_a_unit_shows_only_that_units_beds(chain, browser, nurse):
    page = open_board(browser, chain, nurse)
    expect(bed(page, "A1")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    page.select_option("#unit", "resus")
    expect(bed(page, "A1")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(bed(page, "R2")).to_have_attribute("data-status", "available")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    page.select_option("#unit", "")
    expect(bed(page, "A1")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    page.context.close()


def book_todays_clinic(chain) -> int:
    """A few cardiology visits later today at the facility (none if its day ends first)."""
    scheduler = chain.token("sched-dee", "scheduler")
    now = datetime.now(FACILITY_ZONE).replace(second=0, microsecond=0)
    booked = 0
    for n, (given, family) in enumerate([("Ann", "Lee"), ("Bo", "Kim"), ("Cy", "Ray")]):
        start = now + timedelta(minutes=10 + 15 * n)
        if start.date() != now.date():
            break
        body = {
            "patient": {"given_name": given, "family_name": family, "age_years": 60, "sex": "F"},
            "provider_id": f"dr-cardiology-{n}",
            "department": "cardiology",
            "appointment_type": "outpatient-visit",
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=15)).isoformat(),
        }
        chain.post("/api/v1/facilities/demo/appointments", scheduler, body)
        booked += 1
    return booked


def test_a_bed_manager_places_a_boarder_and_the_ed_board_shows_it(chain, browser, nurse, intake):
    encounter = arrive(chain, intake, "PB", "sepsis", esi=2)
    chain.post(f"/api/v1/facilities/demo/encounters/{encounter}/bed", nurse, {"bed_id": "B3"})
    admit = {"level_of_care": "ward", "inpatient_unit": "4W", "needs": {"telemetry": True, "isolation": "contact"}}
    chain.post(
        f"/api/v1/facilities/demo/encounters/{encounter}/admit-decision", chain.token("dr-ng", "provider"), admit
    )
    board = open_board(browser, chain, nurse)
    expect(bed(board, "B3").get_by_test_id("request-state")).to_have_text("bed requested", timeout=LIVE_TIMEOUT_MS)
    boarder = board.locator(f'[data-testid=boarder][data-encounter="{encounter}"]')
    expect(boarder).to_contain_text("telemetry, contact isolation")
    # The bed manager's page: assign a bed, then mark it ready.
    manager = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    manager.goto(chain.url + "/beds")
    manager.fill("#token", chain.token("bm-lee", "bed-manager"))
    manager.click("#login-form button[type=submit]")
    row = manager.locator(f'[data-testid=boarder][data-encounter="{encounter}"]')
    expect(row.get_by_test_id("boarder-state")).to_have_text("bed requested", timeout=LIVE_TIMEOUT_MS)
    row.get_by_test_id("assign-bed").fill("4W-012")
    row.locator("[data-action=assign-inpatient]").click()
    expect(bed(board, "B3").get_by_test_id("request-state")).to_have_text(
        "bed assigned 4W-012", timeout=LIVE_TIMEOUT_MS
    )
    expect(row.get_by_test_id("boarder-bed")).to_have_text("4W-012 (4W)", timeout=LIVE_TIMEOUT_MS)
    unit = manager.locator('[data-testid=inpatient-unit][data-unit="4W"]')
    expect(unit.get_by_test_id("unit-free")).to_have_text("119")
    row.locator("[data-action=bed-ready]").click()
    expect(bed(board, "B3").get_by_test_id("request-state")).to_have_text("bed ready 4W-012", timeout=LIVE_TIMEOUT_MS)
    expect(unit.get_by_test_id("unit-ready")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    # A second boarder cannot be given the same bed: the page says so and nothing changes.
    other = arrive(chain, intake, "QC", "pneumonia", esi=3)
    chain.post(f"/api/v1/facilities/demo/encounters/{other}/admit-decision", chain.token("dr-ng", "provider"), {})
    second = manager.locator(f'[data-testid=boarder][data-encounter="{other}"]')
    expect(second).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    second.get_by_test_id("assign-unit").select_option("4W")
    second.get_by_test_id("assign-bed").fill("4W-012")
    second.locator("[data-action=assign-inpatient]").click()
    expect(manager.get_by_test_id("toast-conflict")).to_contain_text("held for another patient")
    expect(second.get_by_test_id("boarder-state")).to_have_text("bed requested")
    manager.context.close()
    board.context.close()


def test_the_demo_hospital_board_reads_well(chain, browser, nurse):
    chain.run(
        "simulate",
        "--speed",
        "0",
        "--warmup",
        "482m",
        "--duration",
        "0m",
        "--per-day",
        "330",
        "--status-every",
        "30",
        timeout=240,
    )
    booked = book_todays_clinic(chain)
    page = open_board(browser, chain, nurse, width=1600, height=1000)
    expect(page.get_by_test_id("waiting-row").first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.locator('[data-testid=bed][data-status="occupied"]').first).to_be_visible()
    # The simulator runs the demo's own clinics; cardiology is only what this test booked.
    expect(page.get_by_test_id("appointments").locator("tr", has_text="cardiology")).to_have_count(
        booked, timeout=LIVE_TIMEOUT_MS
    )
    page.wait_for_timeout(1000)  # let the last deltas settle before the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "board.png"))
    page.screenshot(path=str(ARTIFACTS / "board-full.png"), full_page=True)
    assert (ARTIFACTS / "board.png").stat().st_size > 50_000
    page.context.close()
