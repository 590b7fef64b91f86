"""What the page says about its connection, in real Chromium against a real
`edflow serve`, with the board stream written by the test itself (no worker):
live, stale after a gap (with the board kept), live again after a snapshot."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from base import kafka_clients
from base.settings import Settings
from events.board import (
    AppointmentChange,
    AppointmentValue,
    BedChange,
    BedStatus,
    BedValue,
    BoardMessage,
    EncounterChange,
    EncounterValue,
    EntityChange,
    encode_board,
)
from tests.e2e.chain import Chain
from tests.e2e.conftest import LIVE_TIMEOUT_MS, open_board

pytestmark = [pytest.mark.kafka, pytest.mark.browser]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def board_server(tmp_path_factory, kafka_bootstrap) -> Iterator[Chain]:
    server = Chain(tmp_path_factory.mktemp("board"), kafka_bootstrap, f"e2estate{uuid.uuid4().hex[:8]}")
    try:
        server.create_topics()
        server.serve()
        yield server
    finally:
        server.stop_all()


def publish(server: Chain, *messages: BoardMessage, together: bool = False) -> None:
    """Each message once the one before is stored, or (`together`) all in one batch."""
    settings = Settings(
        kafka_bootstrap=server.env["EDFLOW_KAFKA_BOOTSTRAP"], topic_prefix=server.env["EDFLOW_TOPIC_PREFIX"]
    )

    async def send() -> None:
        producer = kafka_clients.producer(settings)
        await producer.start()
        try:
            for message in messages:
                if together:
                    await producer.send(settings.topics.board, encode_board(message), key=b"demo")
                else:
                    await producer.send_and_wait(settings.topics.board, encode_board(message), key=b"demo")
            await producer.flush()
        finally:
            await producer.stop()

    # Playwright's sync API owns this thread's event loop: publish from another.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, send()).result(timeout=60)


def beds(seq: int, kind: Literal["snapshot", "delta"], **statuses: BedStatus) -> BoardMessage:
    changes: list[EntityChange] = [
        BedChange(
            id=bed_id,
            value=BedValue(
                unit="acute-a",
                bed_type="acute",
                label=bed_id,
                status=status,
                encounter_id=None,
                since=T0.isoformat(),
                reason=None,
            ),
        )
        for bed_id, status in statuses.items()
    ]
    return BoardMessage(facility_id="demo", seq=seq, type=kind, as_of=T0 + timedelta(minutes=seq), changes=changes)


def test_a_gap_shows_stale_since_and_keeps_the_board_until_a_snapshot_makes_it_live(board_server, browser):
    publish(board_server, beds(1, "snapshot", A1="available", A2="dirty"))
    page = open_board(browser, board_server, board_server.token("nurse-ana", "charge-nurse"))
    state = page.get_by_test_id("connection")
    tile = page.locator('[data-testid=bed][data-bed="A2"]')
    expect(tile).to_have_attribute("data-status", "dirty", timeout=LIVE_TIMEOUT_MS)
    publish(board_server, beds(2, "delta", A2="cleaning"))
    expect(tile).to_have_attribute("data-status", "cleaning", timeout=LIVE_TIMEOUT_MS)
    publish(board_server, beds(4, "delta", A2="available"))  # seq 3 is lost
    expect(state).to_have_attribute("data-state", "stale", timeout=LIVE_TIMEOUT_MS)
    expect(state).to_contain_text("stale since")
    expect(tile).to_have_attribute("data-status", "cleaning")  # the last good board, not the gapped delta
    publish(board_server, beds(5, "snapshot", A1="blocked", A2="available"))
    expect(state).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT_MS)
    expect(tile).to_have_attribute("data-status", "available")
    expect(page.locator('[data-testid=bed][data-bed="A1"]')).to_contain_text("Blocked")
    page.context.close()


def occupied(bed_id: str, encounter_id: str) -> BedChange:
    value = BedValue(
        unit="acute-a",
        bed_type="acute",
        label=bed_id,
        status="occupied",
        encounter_id=encounter_id,
        since=T0.isoformat(),
        reason=None,
    )
    return BedChange(id=bed_id, value=value)


def patient(initials: str, bed_id: str, ventilated: bool) -> EncounterChange:
    value = EncounterValue(
        initials=initials,
        age_years=70,
        sex="M",
        chief_complaint="respiratory failure",
        esi=1,
        arrival_mode="ambulance",
        arrived_at=T0.isoformat(),
        triaged_at=T0.isoformat(),
        provider_id=None,
        provider_at=None,
        bed_id=bed_id,
        unit="acute-a",
        roomed_at=T0.isoformat(),
        admit_decided_at=None,
        status="roomed",
        over_target=False,
        wait_target_minutes=0,
        ventilated=ventilated,
    )
    return EncounterChange(id=f"enc-{initials}", value=value)


def test_a_ventilated_patients_bed_tile_says_vent(board_server, browser):
    changes: list[EntityChange] = [
        occupied("A3", "enc-VP"),
        patient("VP", "A3", ventilated=True),
        occupied("A4", "enc-NP"),
        patient("NP", "A4", ventilated=False),
    ]
    publish(board_server, BoardMessage(facility_id="demo", seq=6, type="snapshot", as_of=T0, changes=changes))
    page = open_board(browser, board_server, board_server.token("nurse-ana", "charge-nurse"))
    ventilated = page.locator('[data-testid=bed][data-bed="A3"]')
    expect(ventilated).to_contain_text("VP", timeout=LIVE_TIMEOUT_MS)
    expect(ventilated.get_by_test_id("vent")).to_have_text("vent")
    other = page.locator('[data-testid=bed][data-bed="A4"]')
    expect(other).to_contain_text("NP")
    expect(other.get_by_test_id("vent")).to_have_count(0)
    page.context.close()


def appointment(start: datetime, initials: str) -> AppointmentChange:
    return AppointmentChange(
        id=f"appt-{initials}",
        value=AppointmentValue(
            department="internal-medicine",
            appointment_type="outpatient-visit",
            start=start.isoformat(),
            end=(start + timedelta(minutes=30)).isoformat(),
            status="booked",
            insurance="verified",
            provider_id="im-1",
            initials=initials,
        ),
    )


def test_a_screen_in_another_time_zone_shows_the_facilitys_clock_and_today(board_server, browser):
    # 21:30 on 14 January in Chicago is already 15 January in Tokyo, where this screen is.
    as_of = datetime(2030, 1, 15, 3, 30, tzinfo=UTC)
    chicago_today = appointment(datetime(2030, 1, 14, 22, 0, tzinfo=UTC), "CT")  # 16:00 CST, 07:00 JST
    tokyo_today = appointment(datetime(2030, 1, 15, 10, 0, tzinfo=UTC), "TT")  # 04:00 CST tomorrow, 19:00 JST
    publish(
        board_server,
        BoardMessage(
            facility_id="demo",
            seq=50,
            type="snapshot",
            as_of=as_of,
            changes=[chicago_today, tokyo_today],
            time_zone="America/Chicago",
        ),
    )
    page = open_board(browser, board_server, board_server.token("sched-sam", "scheduler"), timezone_id="Asia/Tokyo")
    rows = page.get_by_test_id("appointments").locator("tr")
    expect(rows).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(rows.first).to_contain_text("16:00")
    expect(rows.first).to_contain_text("CT")
    expect(page.locator("#as-of")).to_have_text("as of 21:30 CST")
    page.context.close()


def test_a_refused_token_returns_to_sign_in_with_the_reason(board_server, browser):
    page = browser.new_page()
    page.goto(board_server.url + "/")
    other = Chain(board_server.data_dir / "elsewhere", board_server.env["EDFLOW_KAFKA_BOOTSTRAP"], "x")
    page.fill("#token", other.token("mallory", "admin", "demo"))  # signed with another site's secret
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("signature", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#login")).to_be_visible()
    page.context.close()


def signed_in(browser, server: Chain, token: str):
    """Signed in to the board page; no board need be live for its forms."""
    page = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
    page.goto(server.url + "/")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#board")).to_be_visible()
    return page


def test_coordinators_download_the_monthly_measures_and_intake_is_not_offered_them(board_server, browser, tmp_path):
    page = signed_in(browser, board_server, board_server.token("cora", "coordinator"))
    form = page.get_by_test_id("measures")
    expect(form).to_be_visible()
    page.fill("#measures-month", "2026-11")
    page.select_option("#measures-format", "xlsx")
    with page.expect_download() as download:
        form.get_by_role("button", name="Download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "ed-measures-demo-2026-11-to-2026-11.xlsx"
    sheet = load_workbook(saved).active
    assert ("2026-11", "all", "visits", 0) in {row[:4] for row in sheet.iter_rows(values_only=True)}
    expect(page.locator("#measures-status")).to_have_text(f"Downloaded {saved.name}")
    page.context.close()

    page = signed_in(browser, board_server, board_server.token("desk-ben", "intake"))
    expect(page.get_by_test_id("measures")).to_be_hidden()
    page.context.close()


def test_deltas_that_reach_the_page_in_one_frame_are_applied_in_order_and_it_stays_live(board_server, browser):
    publish(board_server, beds(60, "snapshot", A1="available", A2="available"))
    page = open_board(browser, board_server, board_server.token("nurse-ana", "charge-nurse"))
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.reload()  # the board's socket opens again, now with its frames recorded
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT_MS)
    moves: list[BedStatus] = ["occupied", "dirty", "cleaning", "available", "blocked"]
    # One batch on the topic: the dashboard reads it at once and sends one `deltas` frame.
    publish(board_server, *(beds(61 + n, "delta", A2=status) for n, status in enumerate(moves)), together=True)
    tile = page.locator('[data-testid=bed][data-bed="A2"]')
    expect(tile).to_have_attribute("data-status", "blocked", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
    assert any('"type":"deltas"' in frame for frame in frames), "the batch came as single deltas"
    assert not any('"type":"snapshot"' in frame and '"seq":65' in frame for frame in frames), "the page resynced"
    page.context.close()
