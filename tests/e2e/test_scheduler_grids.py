"""The scheduling desk's grids per room and per department, and moving an
appointment by dragging it (or from the keyboard), in real headless Chromium
against the real chain. A move the server refuses says why and leaves the
appointment where it was. The tests share one chain; each uses its own
department or room."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.chain import Chain
from tests.e2e.scheduler_desk import (
    ARTIFACTS,
    ZONE,
    at,
    axe_violations,
    book,
    define_clinic_schedules,
    open_desk,
    put,
    tomorrow,
)

pytestmark = [pytest.mark.kafka, pytest.mark.browser]
WEEK = [{"weekday": d, "start": s, "end": e} for d in range(7) for s, e in (("08:00", "12:00"), ("13:00", "17:00"))]


@pytest.fixture(scope="module")
def scheduler(chain) -> str:
    token = chain.token("desk-gil", "scheduler")
    define_clinic_schedules(chain, token)
    return token


def define(chain: Chain, token: str, kind: str, resource_id: str, department: str, lengths: dict) -> None:
    body = {"department": department, "time_zone": "America/Chicago", "hours": WEEK, "slot_lengths": lengths}
    put(chain, f"/api/v1/facilities/demo/schedules/{kind}/{resource_id}", token, body)


def read(chain: Chain, token: str, path: str) -> dict:
    request = urllib.request.Request(chain.url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def show_grid(page, department: str, day, span: int = 1, room: str = "", provider: str = "") -> None:
    page.click(".tab[data-view=calendar]")
    page.select_option("#cal-department", department)
    page.select_option("#cal-provider", provider)
    page.select_option("#cal-room", room)
    page.select_option("#cal-span", str(span))
    page.fill("#cal-day", day.isoformat())
    page.dispatch_event("#cal-day", "change")


def cell(page, kind: str, resource: str, start):
    local = start.astimezone(ZONE)
    return page.locator(
        f"#calendar .slot[data-{kind}='{resource}'][data-day='{local.date().isoformat()}']"
        f"[data-time='{local.strftime('%H:%M')}']"
    )


def test_a_room_grid_shows_its_bookings_blocks_and_holidays_and_books_a_free_slot(browser, chain, scheduler):
    day = tomorrow()
    define(chain, scheduler, "room", "or-1", "general-surgery", {"surgical-case": 120})
    case = book(chain, scheduler, "surg-mbeki", "general-surgery", "surgical-case", at(day, 8), 120, "Roomer")
    chain.post(f"/api/v1/facilities/demo/appointments/{case}/modify", scheduler, {"room_id": "or-1"})
    block = {"start": at(day, 13).isoformat(), "end": at(day, 15).isoformat(), "reason": "deep clean"}
    chain.post("/api/v1/facilities/demo/schedules/room/or-1/blocks", scheduler, block)
    holiday = (day + timedelta(days=1)).isoformat()
    chain.post("/api/v1/facilities/demo/schedules/room/or-1/holidays", scheduler, {"day": holiday, "name": "Refit"})

    page = open_desk(browser, chain, scheduler)
    show_grid(page, "general-surgery", day, span=7, room="or-1")
    expect(page.locator("#calendar thead th").first).to_have_text("Room")
    expect(page.locator("#calendar tbody tr")).to_have_count(1)
    expect(cell(page, "room", "or-1", at(day, 8))).to_have_attribute("data-appointment", case)
    expect(cell(page, "room", "or-1", at(day, 13))).to_have_attribute("data-status", "blocked")
    expect(page.locator(f"#calendar .slot.holiday[data-day='{holiday}']")).to_have_text("Holiday · Refit")

    assert axe_violations(page) == []
    cell(page, "room", "or-1", at(day, 10)).click()
    expect(page.locator("#book-when")).to_contain_text("Operating Room 1")
    assert axe_violations(page) == []  # with the provider picker a room's booking adds
    page.select_option("#book-provider", "surg-mbeki")
    for field, value in (("#book-mrn", "MRN-ROOM"), ("#book-family", "Theatre"), ("#book-given", "Tam")):
        page.fill(field, value)
    page.fill("#book-birth", "1971-07-07")
    page.click("#book-confirm")
    expect(page.locator("#book-dialog")).not_to_be_visible()
    expect(cell(page, "room", "or-1", at(day, 10))).to_have_attribute("data-status", "booked")
    grid = read(chain, scheduler, f"/api/v1/facilities/demo/scheduling/grid/room/or-1?from={day}")
    assert {a["provider_id"] for a in grid["appointments"]} == {"surg-mbeki"} and len(grid["appointments"]) == 2


def test_a_department_grid_has_a_row_per_provider_and_the_departments_holiday(browser, chain, scheduler):
    day = tomorrow()
    define(chain, scheduler, "department", "internal-medicine", "internal-medicine", {"outpatient-visit": 30})
    holiday = day + timedelta(days=2)
    body = {"day": holiday.isoformat(), "name": "Clinic closed"}
    chain.post("/api/v1/facilities/demo/schedules/department/internal-medicine/holidays", scheduler, body)
    seen = book(chain, scheduler, "im-kowalski", "internal-medicine", "outpatient-visit", at(day, 11), 30, "Rowe")

    page = open_desk(browser, chain, scheduler)
    show_grid(page, "internal-medicine", day, span=7)
    expect(page.locator("#calendar tbody tr")).to_have_count(2)  # im-abara and im-kowalski
    expect(page.locator(f"#calendar .slot.holiday[data-day='{holiday.isoformat()}']")).to_have_count(2)
    expect(page.locator("tr[data-row=im-kowalski] .slot[data-status=booked]")).to_have_attribute(
        "data-appointment", seen
    )
    free = cell(page, "provider", "im-abara", at(day, 9))
    free.click()
    for field, value in (("#book-mrn", "MRN-DEPT"), ("#book-family", "Dept"), ("#book-given", "Dee")):
        page.fill(field, value)
    page.fill("#book-birth", "1980-08-08")
    page.click("#book-confirm")
    expect(cell(page, "provider", "im-abara", at(day, 9))).to_have_attribute("data-status", "booked")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scheduler-department-week.png"))


def test_an_appointment_is_dragged_to_another_providers_free_slot_or_moved_from_the_keyboard(browser, chain, scheduler):
    day = tomorrow()
    moved = book(chain, scheduler, "fu-novak", "ed-follow-up-clinic", "ed-follow-up", at(day, 8), 20, "Dragged")
    page = open_desk(browser, chain, scheduler)
    show_grid(page, "ed-follow-up-clinic", day)
    source = cell(page, "provider", "fu-novak", at(day, 8))
    expect(source).to_have_attribute("data-appointment", moved)
    source.drag_to(cell(page, "provider", "fu-hughes-np", at(day, 9)))
    expect(cell(page, "provider", "fu-hughes-np", at(day, 9))).to_have_attribute("data-appointment", moved)
    expect(cell(page, "provider", "fu-novak", at(day, 8))).to_have_attribute("data-status", "free")
    found = read(chain, scheduler, f"/api/v1/facilities/demo/appointments/{moved}")
    assert (found["provider_id"], datetime.fromisoformat(found["start"])) == ("fu-hughes-np", at(day, 9))

    # The keyboard's way: M on the appointment, then Enter on the free slot that has the focus.
    cell(page, "provider", "fu-hughes-np", at(day, 9)).focus()
    page.keyboard.press("m")
    expect(page.get_by_test_id("cal-mode")).to_contain_text("Pick a new time")
    target = page.locator("#calendar .slot.free:focus")
    start, provider = target.get_attribute("data-start"), target.get_attribute("data-provider")
    page.keyboard.press("Enter")
    now_at = page.locator(f"#calendar .slot[data-start='{start}'][data-provider='{provider}']")
    expect(now_at).to_have_attribute("data-appointment", moved)
    expect(page.get_by_test_id("cal-mode")).to_contain_text("Moved to")


def test_a_refused_drag_says_why_and_leaves_the_appointment_where_it_was(browser, chain, scheduler):
    day, who, other = tomorrow(), "fu-novak", "fu-hughes-np"
    define(chain, scheduler, "room", "fu-exam-1", "ed-follow-up-clinic", {"ed-follow-up": 20})
    kept = book(chain, scheduler, who, "ed-follow-up-clinic", "ed-follow-up", at(day, 13), 20, "Stayer")
    holder = book(chain, scheduler, other, "ed-follow-up-clinic", "ed-follow-up", at(day, 15), 20, "Holder")
    for appointment in (kept, holder):
        chain.post(f"/api/v1/facilities/demo/appointments/{appointment}/modify", scheduler, {"room_id": "fu-exam-1"})
    page = open_desk(browser, chain, scheduler)
    show_grid(page, "ed-follow-up-clinic", day)
    expect(cell(page, "provider", who, at(day, 13))).to_have_attribute("data-appointment", kept)
    target = cell(page, "provider", who, at(day, 15))
    expect(target).to_have_attribute("data-status", "free")  # the provider is free; the room is not
    cell(page, "provider", who, at(day, 13)).drag_to(target)
    expect(page.get_by_test_id("cal-mode")).to_contain_text("Not moved")
    expect(page.get_by_test_id("cal-mode")).to_contain_text("room already has an appointment")
    expect(page.get_by_test_id("toast-conflict")).to_contain_text("room already has an appointment")
    expect(cell(page, "provider", who, at(day, 13))).to_have_attribute("data-appointment", kept)
    expect(cell(page, "provider", who, at(day, 15))).to_have_attribute("data-status", "free")
    found = read(chain, scheduler, f"/api/v1/facilities/demo/appointments/{kept}")
    assert (found["provider_id"], datetime.fromisoformat(found["start"])) == (who, at(day, 13))
