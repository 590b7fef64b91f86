"""Minimum necessary: the coordinator board carries no names or identifiers;
the public hallway view carries no PHI at all."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import msgspec
import pytest
import websockets

from base.auth import mint_token
from dashboard.hallway import hallway_view, stay_code, wait_band
from events.board import EncounterChange, EntityChange
from events.catalogue import Person
from projections.replay import Replay, store_envelopes
from projections.snapshot import board_snapshot
from services.hospital import Hospital
from tests.dashboard.conftest import T0, appointment, encounter

PATIENTS = [
    Person(
        mrn="MRN-884211",
        family_name="Quackenbush",
        given_name="Philippa",
        birth_date=date(1951, 7, 14),
        age_years=74,
        sex="F",
    ),
    Person(
        mrn="MRN-552907",
        family_name="Oyelaran",
        given_name="Tobechukwu",
        birth_date=date(1988, 2, 29),
        age_years=37,
        sex="M",
    ),
]
IDENTIFIERS = [
    "Quackenbush",
    "Philippa",
    "MRN-884211",
    "1951-07-14",
    "Oyelaran",
    "Tobechukwu",
    "MRN-552907",
    "1988-02-29",
]


@pytest.fixture
def demo_board(sqlite_settings, clock) -> list[EntityChange]:
    """The board the projections publish for a small department."""
    app = Hospital(sqlite_settings)
    app.register_bed(clock.meta(facility_id="demo"), "A1", "acute")
    first = app.arrive(clock.meta(facility_id="demo"), "V1", PATIENTS[0], chief_complaint="chest pain").id
    app.arrive(clock.meta(facility_id="demo"), "V2", PATIENTS[1], chief_complaint="ankle injury")
    app.assign_bed(clock.meta(facility_id="demo"), first, "A1")
    replay = Replay()
    for envelope in store_envelopes(app):
        replay.feed(envelope)
    app.close()
    return board_snapshot(replay.entries_of("demo")[1])


def test_the_coordinator_board_has_no_names_mrns_birth_dates_or_visit_numbers(demo_board):
    payload = msgspec.json.encode(demo_board).decode()
    assert [word for word in IDENTIFIERS if word in payload] == []
    assert "visit_number" not in payload and '"V1"' not in payload
    encounters = [c.value for c in demo_board if isinstance(c, EncounterChange) and c.value is not None]
    # Given-name initial, then family-name initial: all a coordinator needs.
    assert sorted(e.initials for e in encounters) == ["PQ", "TO"]


def test_the_hallway_view_has_no_phi_at_all(demo_board):
    view = hallway_view(b"site-key", demo_board, T0 + timedelta(hours=1))
    payload = msgspec.json.encode(view).decode()
    encounters = [c.value for c in demo_board if isinstance(c, EncounterChange) and c.value is not None]
    phi = IDENTIFIERS + ["chest pain", "ankle injury", "74", "37", "A1"]
    phi += [c.id for c in demo_board if c.kind == "encounter"] + [e.initials for e in encounters]
    assert [word for word in phi if word in payload] == []
    assert {tuple(stay) for stay in view} == {("code", "stage", "waiting")}
    assert sorted(stay["stage"] for stay in view) == ["in treatment", "waiting"]


def test_stay_codes_are_stable_distinct_and_keyed():
    assert stay_code(b"k", "enc-1") == stay_code(b"k", "enc-1")
    assert stay_code(b"k", "enc-1") != stay_code(b"k", "enc-2")
    assert stay_code(b"k", "enc-1") != stay_code(b"other-site", "enc-1")


def test_wait_bands_are_coarse():
    assert wait_band(T0.isoformat(), T0 + timedelta(minutes=10)) == "under 30 min"
    assert wait_band(T0.isoformat(), T0 + timedelta(minutes=90)) == "1-2 h"
    assert wait_band(T0.isoformat(), T0 + timedelta(hours=5)) == "over 4 h"


@pytest.mark.kafka
async def test_display_token_reads_the_hallway_but_not_the_board(server, board, board_settings, demo_board):
    import asyncio

    await board.publish("demo", 1, "snapshot", demo_board)
    while not server.fanout.knows("demo"):
        await asyncio.sleep(0.05)
    display = mint_token(board_settings, "hallway-screen-1", "display", ["demo"])
    base = server.url.replace("ws://", "http://")
    async with httpx.AsyncClient(base_url=base) as http:
        hallway = await http.get(
            "/board/hallway", params={"facility": "demo"}, headers={"Authorization": f"Bearer {display}"}
        )
        history = await http.get(
            "/board/history", params={"facility": "demo"}, headers={"Authorization": f"Bearer {display}"}
        )
    assert hallway.status_code == 200 and len(hallway.json()["stays"]) == 2
    assert [word for word in IDENTIFIERS + ["chest pain"] if word in hallway.text] == []
    assert history.status_code == 403
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with server.connect(display) as ws:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


@pytest.mark.kafka
async def test_a_scheduler_watching_the_board_sees_appointments_but_no_ed_patients(server, board, board_settings):
    import asyncio

    from tests.dashboard.conftest import next_frame

    await board.publish("demo", 1, "snapshot", [appointment("appt-1"), encounter("enc-1", "PQ")])
    while not server.fanout.knows("demo"):
        await asyncio.sleep(0.05)
    scheduler = mint_token(board_settings, "sched-1", "scheduler", ["demo"])
    coordinator = mint_token(board_settings, "coord-1", "coordinator", ["demo"])
    async with server.connect(scheduler) as sched_ws, server.connect(coordinator) as coord_ws:
        sched_snapshot, coord_snapshot = await next_frame(sched_ws), await next_frame(coord_ws)
        assert {c.kind for c in sched_snapshot.changes} == {"appointment"}
        assert {c.kind for c in coord_snapshot.changes} == {"appointment", "encounter"}
        await board.publish(
            "demo",
            2,
            changes=[
                encounter("enc-2", "TO"),
                appointment("appt-2"),
            ],
        )
        sched_delta, coord_delta = await next_frame(sched_ws), await next_frame(coord_ws)
    assert [c.id for c in sched_delta.changes] == ["appt-2"]
    assert [c.id for c in coord_delta.changes] == ["enc-2", "appt-2"]
