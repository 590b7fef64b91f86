"""Watching the board is in the access log: who, which facility and unit,
from where, when the subscription started (before the board is sent) and
when it ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from dashboard.app import attach
from dashboard.protocol import Snapshot
from deploy.server import board_audit
from services.audit.access import AccessEntry, Watch, access_log
from services.hospital import Hospital
from tests.dashboard.conftest import Server, bed, free_port, next_frame

pytestmark = pytest.mark.kafka


@pytest.fixture
def store(board_settings) -> Iterator[Hospital]:
    hospital = Hospital(board_settings)
    yield hospital
    hospital.close()


@pytest.fixture
async def audited(board_settings, board, tuning, store) -> AsyncIterator[Server]:
    app = FastAPI()
    fanout = attach(app, board_settings, tuning, audit=board_audit(store))
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(uv.serve())
    while not uv.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield Server(f"ws://127.0.0.1:{port}", fanout, board_settings)
    uv.should_exit = True
    await asyncio.wait_for(serving, 15)


async def board_entries(hospital: Hospital, count: int) -> list[AccessEntry]:
    for _ in range(200):
        entries = [e for e in access_log(hospital) if e.resource == "board"]
        if len(entries) >= count:
            return entries
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} board entries, have {entries}")


def watch_of(entry: AccessEntry) -> Watch:
    assert isinstance(entry.watch, Watch)
    return entry.watch


async def test_a_subscription_is_recorded_when_it_starts_and_when_it_ends(audited, board, token, store):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available"), bed("B1", "available", unit="B")])
    await board.publish("north", 1, "snapshot", [bed("N1", "available")])
    for _ in range(200):
        if audited.fanout.knows("north"):
            break
        await asyncio.sleep(0.05)
    async with audited.connect(token, query={"unit": "B"}) as ws:
        assert isinstance(await next_frame(ws), Snapshot)
        # On record before the board was sent; nothing ended yet.
        (started,) = await board_entries(store, 1)
        await ws.send('{"type": "subscribe", "facility": "north"}')
        assert isinstance(await next_frame(ws), Snapshot)
        await board_entries(store, 3)
    entries = await board_entries(store, 4)
    assert [(e.action, e.facility_id, e.resource_id) for e in entries] == [
        ("watch", "demo", "B"),
        ("watch", "north", "*"),
        ("watch-ended", "demo", "B"),
        ("watch-ended", "north", "*"),
    ]
    assert {(e.actor_id, e.role, e.client) for e in entries} == {("nurse-1", "charge-nurse", "127.0.0.1")}
    demo, north, demo_ended, north_ended = map(watch_of, entries)
    assert demo == started.watch and demo.view == "full board" and demo.unit == "B"
    assert (demo_ended.id, demo_ended.started_at) == (demo.id, demo.started_at)
    assert (north_ended.id, north_ended.started_at) == (north.id, north.started_at)
    assert demo_ended.ended_at is not None and demo.started_at <= demo_ended.ended_at
    assert north_ended.ended_at is not None and north.started_at <= north_ended.ended_at
    assert demo.id != north.id
