"""The patient index on the scheduling desk, in real headless Chromium
against the real chain: a scheduler finds a patient registered twice (by
name, from the keyboard), merges the duplicate into the surviving record,
and sees the merge in both records' history and the duplicate's visit and
appointment under the survivor."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.scheduler_desk import ARTIFACTS, at, axe_violations, define_clinic_schedules, open_desk, tomorrow

pytestmark = [pytest.mark.kafka, pytest.mark.browser]


def test_a_scheduler_merges_two_records_and_sees_the_history_in_both(browser, chain):
    scheduler = chain.token("desk-pia", "scheduler")
    intake = chain.token("desk-ivo", "intake")
    define_clinic_schedules(chain, scheduler)
    family = f"Merge{uuid.uuid4().hex[:6]}"
    first, duplicate = f"K{uuid.uuid4().hex[:6]}", f"K{uuid.uuid4().hex[:6]}"
    person = {"family_name": family, "given_name": "Ada", "birth_date": "1975-02-03", "sex": "F"}
    chain.post("/api/v1/facilities/demo/encounters", intake,
               {"visit_number": f"V{first}", "patient": {**person, "mrn": first}})  # fmt: skip
    start = at(tomorrow(), 10)
    appointment = f"t-{uuid.uuid4().hex[:10]}"
    chain.post("/api/v1/facilities/demo/appointments", scheduler, {
        "appointment_id": appointment, "patient": {**person, "mrn": duplicate}, "provider_id": "im-kowalski",
        "department": "internal-medicine", "appointment_type": "outpatient-visit", "start": start.isoformat(),
        "end": start.replace(minute=30).isoformat(),
    })  # fmt: skip

    page = open_desk(browser, chain, scheduler)
    page.keyboard.press("Alt+P")  # the Patients tab, from the keyboard
    if not page.locator("#view-patients").is_visible():
        page.click(".tab[data-view=patients]")
    page.get_by_test_id("pat-query").fill(f"{family.lower()} ada")
    page.get_by_test_id("pat-query").press("Enter")
    results = page.get_by_test_id("pat-result")
    expect(results).to_have_count(2)
    expect(results.first).to_be_focused()  # focus moves to the first result
    page.locator(f"[data-testid=pat-result][data-mrn='{duplicate}']").focus()
    page.keyboard.press("Enter")
    view = page.get_by_test_id("pat-view")
    expect(page.get_by_test_id("pat-view-title")).to_contain_text(duplicate)
    expect(view.get_by_test_id("pat-appointments")).to_contain_text(appointment)
    assert axe_violations(page) == []  # the search, its results and a patient's view

    page.get_by_label("Merge this record into MRN").fill(first)
    page.get_by_label("Why").fill("same person, registered twice")
    page.get_by_label("Why").press("Enter")
    confirm = view.get_by_role("button", name=f"Yes, merge {duplicate} into {first}")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("toast-ok").last).to_contain_text(f"{duplicate} merged into {first}")
    expect(page.get_by_test_id("pat-merged")).to_contain_text(f"Merged into {first}")
    history = view.get_by_test_id("pat-history")
    expect(history).to_contain_text(f"record {duplicate} merged into {first}")
    expect(history).to_contain_text("desk-pia (scheduler)")

    view.get_by_role("button", name=f"Open {first}").click()
    expect(page.get_by_test_id("pat-view-title")).to_contain_text(first)
    expect(view.get_by_test_id("pat-history")).to_contain_text(f"record {duplicate} merged into {first}")
    expect(view.get_by_test_id("pat-appointments")).to_contain_text(appointment)  # moved to the survivor
    expect(view.get_by_test_id("pat-visits")).to_contain_text(f"V{first}")
    expect(view).to_contain_text(f"Merged from{duplicate}")
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scheduler-patient.png"), full_page=True)
