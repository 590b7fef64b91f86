"""FHIR Slots are the cells of a schedule's grid, with the availability API's
statuses: the same free time through either door, across a daylight-saving
change and a holiday; paged, read back by their ids, and filtered."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.slot import Slot

from tests.services.fhir.conftest import ADA, BASE, FACILITY, client_for, meta

API = f"/api/v1/facilities/{FACILITY}"
# New York moves its clocks forward at 02:00 on Sunday 8 March 2026.
DAYS = ("2026-03-06", "2026-03-11")
NEW_YORK = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def clinic(scenario_hospital):
    h = scenario_hospital
    every_day = [(d, time(1), time(5)) for d in range(7)] + [(d, time(9), time(12)) for d in range(7)]
    h.define_schedule(
        meta(1, 9), "provider", "dr-ny", "clinic", "America/New_York", every_day, {"outpatient-visit": 45}
    )
    h.define_schedule(meta(1, 9), "room", "room-ny", "clinic", "America/New_York", every_day)
    h.declare_holiday(meta(1, 9), "provider", "dr-ny", date(2026, 3, 10), "clinic closed")
    h.block_time(meta(1, 9), "provider", "dr-ny", at(9, 14), at(9, 16), "teaching")  # 10:00-12:00 local
    h.book(meta(1, 10), ADA, "dr-ny", "clinic", "outpatient-visit", at(6, 14), at(6, 14, 45), appointment_id="ny-1")
    return h


def slots_via_fhir(client, query: str) -> list[dict]:
    """Every Slot of a search, following the `next` links."""
    found: list[dict] = []
    url: str | None = f"{BASE}/Slot?{query}&_count=7"
    while url:
        body = client.get(url).json()
        assert body["resourceType"] == "Bundle", body
        found += [e["resource"] for e in body.get("entry", [])]
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
    return found


def instants(slots: list[dict]) -> list[tuple[datetime, datetime, str]]:
    """(start, end, status) of slots from either door."""
    return [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]), s["status"]) for s in slots]


@pytest.mark.parametrize("kind, schedule, minutes", [("provider", "dr-ny", 45), ("room", "room.room-ny", 30)])
def test_fhir_slots_are_the_availability_apis_slots(clinic, fhir_app, settings, kind, schedule, minutes):
    client = client_for(fhir_app, settings, "scheduler")
    resource_id = schedule.removeprefix("room.")
    api = client.get(f"{API}/availability/{kind}/{resource_id}", params={"from": DAYS[0], "to": DAYS[1]}).json()
    expected = instants(api["slots"])
    fhir = slots_via_fhir(client, f"schedule=Schedule/{schedule}&start=ge{DAYS[0]}&start=le{DAYS[1]}")
    assert instants(fhir) == expected
    free = slots_via_fhir(client, f"schedule={schedule}&start=ge{DAYS[0]}&start=le{DAYS[1]}&status=free")
    assert instants(free) == [e for e in expected if e[2] == "free"] != []
    for slot in fhir:
        Slot.model_validate(slot)
        assert slot["serviceType"][0]["coding"][0]["code"] == "outpatient-visit"
    assert {end - start for start, end, _ in expected} == {timedelta(minutes=minutes)}
    local_days = {start.astimezone(NEW_YORK).date() for start, *_ in expected}
    # The holiday is the provider's: it has no slots; the room works that day.
    assert (date(2026, 3, 10) in local_days) is (kind == "room")
    # Local hours hold across the change: 01:00 on Sunday the 8th is 06:00Z, on Monday the 9th 05:00Z.
    assert at(8, 6) in {s for s, *_ in expected} and at(9, 5) in {s for s, *_ in expected}


def test_statuses_follow_bookings_and_blocks(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    found = {s["start"]: s["status"] for s in slots_via_fhir(client, "schedule=dr-ny&start=2026-03-06")}
    assert found["2026-03-06T14:00:00Z"] == "busy"
    blocked = {s["start"]: s["status"] for s in slots_via_fhir(client, "schedule=dr-ny&start=2026-03-09")}
    assert blocked["2026-03-09T14:30:00Z"] == "busy-unavailable"
    assert set(blocked.values()) == {"free", "busy-unavailable"}


def test_a_slot_reads_back_by_its_id(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    for slot in slots_via_fhir(client, "schedule=dr-ny&start=2026-03-06"):
        read = client.get(f"{BASE}/Slot/{slot['id']}")
        assert read.status_code == 200 and read.json() == slot
    assert client.get(f"{BASE}/Slot/dr-ny.ov.20260306T140100Z").status_code == 404  # not a cell of the grid
    assert client.get(f"{BASE}/Slot/dr-nobody.ov.20260306T140000Z").status_code == 404
    assert client.get(f"{BASE}/Slot/nonsense").json()["resourceType"] == "OperationOutcome"


def test_a_date_is_the_schedules_local_day_and_a_datetime_an_instant(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    day = slots_via_fhir(client, "schedule=dr-ny&start=2026-03-06")
    assert {datetime.fromisoformat(s["start"]).astimezone(NEW_YORK).date() for s in day} == {date(2026, 3, 6)}
    morning = slots_via_fhir(client, "schedule=dr-ny&start=ge2026-03-06T14:00:00Z&start=lt2026-03-06T15:30:00Z")
    assert [s["start"] for s in morning] == ["2026-03-06T14:00:00Z", "2026-03-06T14:45:00Z"]


def test_without_a_schedule_every_provider_and_room_is_searched(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    found = slots_via_fhir(client, "start=2026-03-06&status=busy")
    assert [(s["schedule"]["reference"], s["start"]) for s in found] == [("Schedule/dr-ny", "2026-03-06T14:00:00Z")]
    kinds = {s["schedule"]["reference"] for s in slots_via_fhir(client, "start=2026-03-06&service-type=surgical-case")}
    assert {"Schedule/dr-ny", "Schedule/room.room-ny"} <= kinds


def test_schedules_are_searched_by_active(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    assert client.get(f"{BASE}/Schedule", params={"active": "true", "actor": "dr-ny"}).json()["total"] == 1
    assert client.get(f"{BASE}/Schedule", params={"active": "false"}).json()["total"] == 0


def test_a_side_left_open_is_62_days_from_the_other(clinic, fhir_app, settings):
    client = client_for(fhir_app, settings, "scheduler")
    onwards = slots_via_fhir(client, "schedule=dr-ny&start=ge2026-03-06&status=busy")
    assert [s["start"] for s in onwards] == ["2026-03-06T14:00:00Z"]
    before = client.get(f"{BASE}/Slot", params={"schedule": "dr-ny", "start": "lt2026-03-07", "_count": 0}).json()
    assert before["total"] > 0
    assert client.get(f"{BASE}/Slot", params={"schedule": "dr-ny", "start": "ge9999-01-01"}).json()["total"] == 0
