"""The scheduling desk (/scheduler) in real headless Chromium against the real
chain: the work queue first, the calendar (book, reschedule, cancel, check in,
no-show, complete, a surgical checklist), find a time, two schedulers at once,
and an axe-core accessibility check. The tests share one chain; each uses its
own provider so they do not see each other's bookings."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_TIMEOUT_MS
from tests.e2e.scheduler_desk import (
    ARTIFACTS,
    at,
    axe_violations,
    book,
    define_clinic_schedules,
    open_desk,
    show_calendar,
    slot,
    tomorrow,
)

pytestmark = [pytest.mark.kafka, pytest.mark.browser]


@pytest.fixture(scope="module")
def scheduler(chain) -> str:
    token = chain.token("desk-sam", "scheduler")
    define_clinic_schedules(chain, token)
    return token


def test_the_work_queue_comes_first_and_insurance_is_verified_inline(browser, chain, scheduler):
    day = tomorrow()
    appointment = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 8), 30, "Queue")
    page = open_desk(browser, chain, scheduler)
    row = page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{appointment}']")
    expect(row).to_be_visible()
    assert int(page.get_by_test_id("count-unverified_coverage").inner_text()) >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scheduler-work-queue.png"), full_page=True)
    row.get_by_label("Payer").fill("Acme Health")
    row.get_by_label("Member id").fill("AC-12345")
    row.get_by_role("button", name="Request check").click()
    row.get_by_role("button", name="Payer says covered").click()
    expect(row).to_have_count(0)
    unconfirmed = page.locator(f"[data-testid=queue-unconfirmed] tr[data-appointment='{appointment}']")
    expect(unconfirmed).to_contain_text("ready to confirm")
    unconfirmed.get_by_role("button", name="Confirm").click()
    expect(unconfirmed).to_have_count(0)


def test_what_a_scheduler_is_typing_survives_a_live_redraw_of_the_queue(browser, chain, scheduler):
    day = tomorrow()
    first = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 11), 30, "Typing")
    page = open_desk(browser, chain, scheduler)
    row = page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{first}']")
    row.get_by_label("Payer").fill("Acme Health")
    row.get_by_label("Member id").fill("AC-77")
    # Another desk books meanwhile: the push redraws the whole queue.
    second = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 11, 30), 30, "Other")
    expect(page.locator(f"[data-testid=queue-unverified_coverage] tr[data-appointment='{second}']")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    expect(row.get_by_label("Payer")).to_have_value("Acme Health")
    expect(row.get_by_label("Member id")).to_have_value("AC-77")
    expect(row.get_by_label("Member id")).to_be_focused()
    row.get_by_label("Member id").press("9")
    expect(row.get_by_label("Member id")).to_have_value("AC-779")


def test_a_free_slot_is_booked_without_the_mouse(browser, chain, scheduler):
    day = tomorrow()
    page = open_desk(browser, chain, scheduler)
    page.focus(".tab[data-view=calendar]")
    page.keyboard.press("Enter")
    show_calendar(page, "internal-medicine", "im-kowalski", day)
    free = slot(page, "im-kowalski", at(day, 9))
    expect(free).to_have_attribute("data-status", "free")
    free.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#book-mrn")).to_be_focused()
    for text in ("MRN-KB-1", "Keyboard", "Kim"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    page.keyboard.type("03041980")  # the date field takes digits in the locale's order (en-US: MM DD YYYY)
    expect(page.locator("#book-birth")).to_have_value("1980-03-04")
    for _ in range(4):  # past the date's own parts and the appointment type, kept as offered
        if page.evaluate("document.activeElement.id") == "book-reason":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#book-reason")).to_be_focused()
    page.keyboard.type("follow-up of blood pressure")
    page.keyboard.press("Enter")
    expect(page.locator("#book-dialog")).not_to_be_visible()
    expect(slot(page, "im-kowalski", at(day, 9))).to_have_attribute("data-status", "booked")
    page.select_option("#cal-provider", "")
    page.select_option("#cal-span", "7")
    expect(page.locator("#calendar tbody tr")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "scheduler-calendar-week.png"), full_page=True)


def test_reschedule_cancel_check_in_complete_and_no_show_from_the_calendar(browser, chain, scheduler):
    day, who = tomorrow(), "fu-novak"
    moved = book(chain, scheduler, who, "ed-follow-up-clinic", "ed-follow-up", at(day, 8), 20, "Mover")
    cancelled = book(chain, scheduler, who, "ed-follow-up-clinic", "ed-follow-up", at(day, 8, 20), 20, "Canceller")
    seen = book(chain, scheduler, who, "ed-follow-up-clinic", "ed-follow-up", at(day, 8, 40), 20, "Seen")
    missed = book(chain, scheduler, who, "ed-follow-up-clinic", "ed-follow-up", at(day, 9), 20, "Missed")
    page = open_desk(browser, chain, scheduler)
    show_calendar(page, "ed-follow-up-clinic", who, day)
    dialog = page.locator("#appt-dialog")

    slot(page, who, at(day, 8)).click()
    dialog.get_by_role("button", name="Reschedule…").click()
    expect(page.get_by_test_id("cal-mode")).to_contain_text("Pick a new time")
    slot(page, who, at(day, 10)).click()
    expect(slot(page, who, at(day, 10))).to_have_attribute("data-appointment", moved)
    expect(slot(page, who, at(day, 8))).to_have_attribute("data-status", "free")

    slot(page, who, at(day, 8, 20)).click()
    page.fill("#cancel-reason", "patient called: feeling better")
    page.click("#cancel-confirm")
    expect(slot(page, who, at(day, 8, 20))).to_have_attribute("data-status", "free")

    page.locator(f"#calendar .slot[data-appointment='{seen}']").click()
    dialog.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("appt-status")).to_have_text("checked-in")
    dialog.get_by_role("button", name="Complete").click()
    expect(page.get_by_test_id("appt-status")).to_have_text("fulfilled")
    page.click("#appt-close")

    page.locator(f"#calendar .slot[data-appointment='{missed}']").click()
    dialog.get_by_role("button", name="No-show").click()
    expect(page.get_by_test_id("appt-status")).to_have_text("noshow")
    page.click("#appt-close")
    assert cancelled not in page.locator("#calendar").inner_html()


def test_a_surgical_case_is_confirmed_only_when_its_checklist_is_complete(browser, chain, scheduler):
    day = tomorrow()
    case = book(chain, scheduler, "surg-mbeki", "general-surgery", "surgical-case", at(day, 8), 120, "Cutter")
    page = open_desk(browser, chain, scheduler)
    show_calendar(page, "general-surgery", "surg-mbeki", day)
    page.locator(f"#calendar .slot[data-appointment='{case}']").click()
    dialog = page.locator("#appt-dialog")
    expect(page.get_by_test_id("checklist-missing")).to_contain_text("consent, labs, anaesthesia-review")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("appt-error")).to_contain_text("checklist is incomplete")
    for item in ("consent", "labs", "anaesthesia-review", "insurance-authorisation"):
        dialog.get_by_role("button", name=f"Mark {item} done").click()
        expect(dialog.get_by_role("button", name=f"Mark {item} done")).to_have_count(0)
    expect(page.get_by_test_id("checklist-missing")).to_contain_text("Checklist complete")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("appt-error")).to_have_text("")
    dialog.get_by_role("button", name="Check in").click()
    expect(page.get_by_test_id("appt-status")).to_have_text("checked-in")


def test_find_a_time_honours_the_preferences_and_books_with_one_click(browser, chain, scheduler):
    page = open_desk(browser, chain, scheduler)
    page.click(".tab[data-view=find]")
    page.select_option("#find-department", "orthopedics")
    page.select_option("#find-part", "pm")
    page.click("[data-testid=find-search]")
    results = page.locator("#find-results button")
    expect(results.first).to_be_visible()
    first = results.first
    assert first.get_attribute("data-provider") == "ortho-sato"
    label = first.inner_text()
    assert int(label.split(" ")[4].split(":")[0]) >= 13, label  # "Book Mon 7 Dec 13:00 with …"
    start = first.get_attribute("data-start")
    first.click()
    page.fill("#book-mrn", "MRN-FIND-1")
    page.fill("#book-family", "Finder")
    page.fill("#book-given", "Fay")
    page.fill("#book-birth", "1966-06-06")
    page.click("#book-confirm")
    expect(page.locator("#book-dialog")).not_to_be_visible()
    expect(page.locator(f"#find-results button[data-start='{start}']")).to_have_count(0)


def test_two_schedulers_see_each_other_and_one_wins_a_race(browser, chain, scheduler):
    day, who = tomorrow(), "fu-hughes-np"
    other = chain.token("desk-ria", "scheduler")
    first, second = open_desk(browser, chain, scheduler), open_desk(browser, chain, other)
    for page in (first, second):
        show_calendar(page, "ed-follow-up-clinic", who, day)
        expect(slot(page, who, at(day, 13))).to_have_attribute("data-status", "free")

    # A booking made on one desk shows on the other by push.
    slot(first, who, at(day, 14)).click()
    for field, value in (
        ("#book-mrn", "MRN-LIVE"),
        ("#book-family", "Live"),
        ("#book-given", "Lu"),
        ("#book-birth", "1990-01-01"),
    ):
        first.fill(field, value)
    first.click("#book-confirm")
    expect(slot(first, who, at(day, 14))).to_have_attribute("data-status", "booked")
    seen_from = time.monotonic()
    expect(slot(second, who, at(day, 14))).to_have_attribute("data-status", "booked", timeout=LIVE_TIMEOUT_MS)
    print(f"the other desk showed the booking {time.monotonic() - seen_from:.2f} s after it was made")

    # Both open the same free slot; the first to book wins, the second is told.
    for page, family in ((first, "Racer"), (second, "Late")):
        slot(page, who, at(day, 13)).click()
        for field, value in (
            ("#book-mrn", f"MRN-{family}"),
            ("#book-family", family),
            ("#book-given", "Ray"),
            ("#book-birth", "1985-05-05"),
        ):
            page.fill(field, value)
    first.click("#book-confirm")
    expect(first.locator("#book-dialog")).not_to_be_visible()
    second.click("#book-confirm")
    expect(second.locator("#book-error")).to_contain_text("just taken")
    expect(second.get_by_test_id("toast-conflict")).to_contain_text("just taken")
    second.click("#book-cancel")
    expect(slot(second, who, at(day, 13))).to_have_attribute("data-status", "booked")


def test_a_waiting_patient_is_offered_freed_time_and_the_desk_accepts(browser, chain, scheduler):
    day = tomorrow()
    page = open_desk(browser, chain, scheduler)
    page.click(".tab[data-view=waitlist]")
    page.select_option("#wait-department", "internal-medicine")
    page.select_option("#wait-provider", "im-abara")
    page.select_option("#wait-type", "outpatient-visit")
    for field, value in (("#wait-mrn", "MRN-WAIT"), ("#wait-family", "Waiter"), ("#wait-given", "Wes")):
        page.fill(field, value)
    page.fill("#wait-birth", "1959-09-09")
    page.click("[data-testid=wait-join]")
    row = page.locator("#wait-entries tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("no offer yet")
    freed = book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 10), 30, "Freed")
    chain.post(f"/api/v1/facilities/demo/appointments/{freed}/cancel", scheduler, {"reason": "patient moved away"})
    expect(row).to_contain_text("offered", timeout=LIVE_TIMEOUT_MS)  # shown by the push of the cancellation
    row.get_by_role("button", name="Accept offer").click()
    expect(page.get_by_test_id("toast-ok").last).to_contain_text("Offer accepted")
    expect(page.locator("#wait-entries")).to_contain_text("Nobody is waiting")


def test_reports_download_as_excel_and_csv(browser, chain, scheduler):
    day = tomorrow()
    book(chain, scheduler, "im-abara", "internal-medicine", "outpatient-visit", at(day, 15), 30, "Report")
    page = open_desk(browser, chain, scheduler)
    page.click(".tab[data-view=reports]")
    page.fill("#report-from", day.isoformat())
    page.fill("#report-to", day.isoformat())
    with page.expect_download() as got:
        page.click("[data-testid=report-download]")
    download = got.value
    assert download.suggested_filename == f"schedule-demo-{day.isoformat()}-{day.isoformat()}.xlsx"
    assert Path(download.path()).read_bytes()[:2] == b"PK"  # a zip: the workbook
    page.select_option("#report-kind", "stats")
    page.select_option("#report-format", "csv")
    with page.expect_download() as got:
        page.click("[data-testid=report-download]")
    assert "department" in Path(got.value.path()).read_text().splitlines()[0]
    expect(page.get_by_test_id("report-status")).to_contain_text("Downloaded stats-demo-")


def test_the_desk_passes_an_accessibility_check(browser, chain, scheduler):
    page = open_desk(browser, chain, scheduler)
    assert axe_violations(page) == []
    show_calendar(page, "internal-medicine", "", tomorrow(), span=7)
    expect(page.locator("#calendar .slot").first).to_be_visible()
    assert axe_violations(page) == []
    page.locator("#calendar .slot.free").first.click()
    expect(page.locator("#book-dialog")).to_be_visible()
    assert axe_violations(page) == []
    page.click("#book-cancel")
    page.click(".tab[data-view=find]")
    assert axe_violations(page) == []
    page.click(".tab[data-view=reports]")
    assert axe_violations(page) == []
    page.click(".tab[data-view=waitlist]")
    assert axe_violations(page) == []
