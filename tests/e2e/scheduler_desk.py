"""What the scheduling-desk browser tests share: working schedules for the
demo clinics' providers, bookings through the API, and opening the page."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from base.facility import load_facility
from base.settings import Settings
from tests.e2e.chain import Chain
from tests.e2e.conftest import LIVE_TIMEOUT_MS

FACILITY = load_facility(Settings().facility_config)  # the demo hospital the chain serves
ZONE = FACILITY.zone
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe-core" / "4.10.3" / "axe.min.js"
CLINICS = ("internal-medicine", "ed-follow-up-clinic", "orthopedics", "general-surgery")


def put(chain: Chain, path: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(
        chain.url + path,
        data=json.dumps(body).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def define_clinic_schedules(chain: Chain, token: str) -> None:
    """Every clinic provider works 08:00-12:00 and 13:00-17:00, seven days a week."""
    lengths = {k.type: k.minutes for k in FACILITY.appointment_types}
    for provider in FACILITY.providers:
        if provider.department not in CLINICS:
            continue
        hours = [
            {"weekday": d, "start": start, "end": end}
            for d in range(7)
            for start, end in (("08:00", "12:00"), ("13:00", "17:00"))
        ]
        put(
            chain,
            f"/api/v1/facilities/demo/schedules/provider/{provider.id}",
            token,
            {
                "department": provider.department,
                "time_zone": FACILITY.timezone,
                "hours": hours,
                "slot_lengths": lengths,
            },
        )


def tomorrow() -> date:
    return datetime.now(ZONE).date() + timedelta(days=1)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=ZONE)


def book(
    chain: Chain, token: str, provider: str, department: str, kind: str, start: datetime, minutes: int, family: str
) -> str:
    appointment_id = f"t-{uuid.uuid4().hex[:10]}"
    chain.post(
        "/api/v1/facilities/demo/appointments",
        token,
        {
            "appointment_id": appointment_id,
            "patient": {
                "mrn": f"M{uuid.uuid4().hex[:6]}",
                "family_name": family,
                "given_name": "Pat",
                "birth_date": "1970-04-02",
            },
            "provider_id": provider,
            "department": department,
            "appointment_type": kind,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=minutes)).isoformat(),
        },
    )
    return appointment_id


def open_desk(browser: Browser, chain: Chain, token: str, width: int = 1280, height: int = 800) -> Page:
    """A new browser context (its own sessionStorage), signed in, live; the work queue showing."""
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.goto(chain.url + "/scheduler")
    page.fill("#token", token)
    page.press("#facility", "Enter")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("queue-counts")).to_be_visible()
    return page


def show_calendar(page: Page, department: str, provider: str, day: date, span: int = 1) -> None:
    page.click(".tab[data-view=calendar]")
    page.select_option("#cal-department", department)
    page.select_option("#cal-provider", provider)
    page.select_option("#cal-span", str(span))
    page.fill("#cal-day", day.isoformat())
    page.dispatch_event("#cal-day", "change")


def slot(page: Page, provider: str, start: datetime):
    """The calendar cell of one slot, found by its start instant."""
    local = start.astimezone(ZONE)
    return page.locator(
        f"#calendar .slot[data-provider='{provider}'][data-day='{local.date().isoformat()}']"
        f"[data-time='{local.strftime('%H:%M')}']"
    )


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical axe-core findings on the page as it is now."""
    assert AXE.exists(), f"{AXE} is missing: run `bash deploy/setup.sh`"
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
