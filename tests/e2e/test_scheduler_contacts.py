"""The contact log on the scheduling desk, in real headless Chromium against
the real chain: a call logged from an appointment with "call back on …" puts
the patient in the work queue's call-backs, and logging the call-back takes
them out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scheduler_desk import ARTIFACTS, at, book, define_clinic_schedules, open_desk, tomorrow

pytestmark = [pytest.mark.kafka, pytest.mark.browser]


@pytest.fixture(scope="module")
def scheduler(chain) -> str:
    token = chain.token("desk-kit", "scheduler")
    define_clinic_schedules(chain, token)
    return token


def test_a_call_with_a_call_back_is_in_the_queue_until_it_is_done(browser, chain, scheduler):
    day = tomorrow()
    appointment = book(
        chain, scheduler, "im-kowalski", "internal-medicine", "outpatient-visit", at(day, 10), 30, "Caller"
    )
    page = open_desk(browser, chain, scheduler)
    queued = page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{appointment}']")
    queued.get_by_role("button", name="Open").click()
    dialog = page.locator("#appt-dialog")
    dialog.get_by_text("Log contact…").click()
    form = dialog.get_by_test_id("contact-form")
    form.get_by_label("Channel").select_option("phone")
    form.get_by_label("Reason").fill("pre-visit instructions")
    form.get_by_label("Outcome").select_option("no-answer")
    form.get_by_label("Note").fill("no voicemail set up")
    form.get_by_label("Call back on").fill(f"{day.isoformat()}T09:15")
    form.get_by_role("button", name="Log contact").click()
    expect(page.get_by_test_id("toast-ok").last).to_contain_text("Contact logged")
    expect(dialog.get_by_test_id("contact-list")).to_contain_text("pre-visit instructions · no-answer")
    expect(dialog.get_by_test_id("contact-list")).to_contain_text("call back")
    expect(dialog.get_by_test_id("contact-list")).to_contain_text("(open)")
    page.click("#appt-close")

    call_backs = page.get_by_test_id("queue-call_backs_due")
    row = call_backs.locator("tr", has_text="pre-visit instructions")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("PC")  # the patient's initials (Pat Caller)
    expect(row).to_contain_text("09:15")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scheduler-call-backs.png"), full_page=True)
    row.get_by_label("Outcome").select_option("reached")
    row.get_by_role("button", name="Called back").click()
    expect(page.get_by_test_id("toast-ok").last).to_contain_text("Call-back logged")
    expect(row).to_have_count(0)
