"""The scheduling desk's grid read: a department's providers, or one room,
over a span of days in one call, with free, booked, blocked and holiday time
and the appointments the rows hold; an audited read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.audit.access import access_log
from tests.services.api.conftest import BASE, FACILITY, Api

ZONE = ZoneInfo("America/Chicago")
MONDAY = date.today() + timedelta(days=14 - date.today().weekday())


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).isoformat()


def define(api: Api, kind: str, resource_id: str, department: str, minutes: dict[str, int]) -> None:
    body = {
        "department": department,
        "time_zone": "America/Chicago",
        "hours": [{"weekday": d, "start": "08:00", "end": "12:00"} for d in range(7)],
        "slot_lengths": minutes,
    }
    response = api.client.put(f"{BASE}/schedules/{kind}/{resource_id}", json=body, headers=api.headers())
    assert response.status_code == 200, response.text


def book(api: Api, appointment_id: str, provider: str, department: str, kind: str, start: str, end: str, **more):
    patient = {"given_name": "Ana", "family_name": "Lopez", "mrn": f"MRN-{appointment_id}", "sex": "F"}
    body = {"appointment_id": appointment_id, "patient": patient, "provider_id": provider}
    body |= {"department": department, "appointment_type": kind, "start": start, "end": end, **more}
    api.ok("/appointments", body, role="scheduler")


def test_a_department_grid_has_every_provider_with_the_departments_holidays_and_blocks(desk_api: Api):
    visit = {"outpatient-visit": 30}
    for provider in ("im-abara", "im-kowalski"):
        define(desk_api, "provider", provider, "internal-medicine", visit)
    define(desk_api, "department", "internal-medicine", "internal-medicine", visit)
    tuesday = MONDAY + timedelta(days=1)
    desk_api.ok("/schedules/department/internal-medicine/holidays", {"day": tuesday.isoformat(), "name": "Clinic day"})
    block = {"start": at(MONDAY, 10), "end": at(MONDAY, 11), "reason": "staff meeting"}
    desk_api.ok("/schedules/provider/im-kowalski/blocks", block)
    book(desk_api, "G1", "im-abara", "internal-medicine", "outpatient-visit", at(MONDAY, 9), at(MONDAY, 9, 30))

    response = desk_api.get(
        f"/scheduling/grid/department/internal-medicine?from={MONDAY}&to={tuesday}", role="scheduler"
    )
    assert response.status_code == 200, response.text
    grid = response.json()
    assert grid["kind"] == "department" and grid["name"] == "Internal Medicine Clinic"
    rows = {r["id"]: r for r in grid["rows"]}
    assert set(rows) == {"im-abara", "im-kowalski"}
    abara, kowalski = rows["im-abara"], rows["im-kowalski"]
    status = {s["start"]: s["status"] for s in abara["slots"]}
    assert len(status) == 8  # Monday 08:00-12:00 in 30 minutes; none on the department's holiday
    booked = [s for s, v in status.items() if v == "busy"]
    assert len(booked) == 1 and datetime.fromisoformat(booked[0]) == datetime.fromisoformat(at(MONDAY, 9))
    assert [s["status"] for s in kowalski["slots"]].count("busy-unavailable") == 2  # 10:00-11:00 blocked
    assert kowalski["blocks"][0]["reason"] == "staff meeting" and kowalski["blocks"][0]["source"] == "provider"
    holiday = {"day": tuesday.isoformat(), "name": "Clinic day", "source": "department"}
    assert abara["holidays"] == [holiday] and kowalski["holidays"] == [holiday]
    assert [a["appointment_id"] for a in grid["appointments"]] == ["G1"]

    reads = [e for e in access_log(desk_api.hospital, facility_id=FACILITY) if e.resource == "scheduling.grid"]
    assert ("Appointment/G1",) in {e.refs() for e in reads}  # what it disclosed is in the access log


def test_a_room_grid_shows_the_bookings_holding_the_room_whoever_the_provider(desk_api: Api):
    define(desk_api, "room", "or-1", "general-surgery", {"surgical-case": 120})
    define(desk_api, "provider", "surg-mbeki", "general-surgery", {"surgical-case": 120})
    book(
        desk_api, "R1", "surg-mbeki", "general-surgery", "surgical-case", at(MONDAY, 8), at(MONDAY, 10), room_id="or-1"
    )
    book(desk_api, "R2", "surg-mbeki", "general-surgery", "surgical-case", at(MONDAY, 10), at(MONDAY, 12))

    grid = desk_api.get(f"/scheduling/grid/room/or-1?from={MONDAY}", role="auditor").json()
    (row,) = grid["rows"]
    assert (row["kind"], row["name"], row["scheduled"]) == ("room", "Operating Room 1", True)
    assert [s["status"] for s in row["slots"]] == ["busy", "free"]
    assert [a["appointment_id"] for a in grid["appointments"]] == ["R1"]  # R2 holds no room

    unscheduled = desk_api.get(f"/scheduling/grid/room/or-2?from={MONDAY}", role="scheduler").json()
    assert unscheduled["rows"][0]["scheduled"] is False and unscheduled["rows"][0]["slots"] == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/scheduling/grid/room/or-9?from=2026-03-03", 404),
        ("/scheduling/grid/department/nowhere?from=2026-03-03", 404),
        ("/scheduling/grid/provider/im-abara?from=2026-03-03&to=2026-03-02", 422),
        ("/scheduling/grid/bed/or-1?from=2026-03-03", 422),
    ],
)
def test_a_grid_of_nothing_known_or_a_backwards_span_is_refused(desk_api: Api, path: str, status: int):
    assert desk_api.get(path, role="scheduler").status_code == status


def test_a_grid_is_not_for_the_ed_floor(desk_api: Api):
    assert desk_api.get(f"/scheduling/grid/room/or-1?from={MONDAY}", role="charge-nurse").status_code == 403
