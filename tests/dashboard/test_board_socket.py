"""The board WebSocket against a real broker and a real uvicorn server:
what a client sees, in which order, and what happens when things go wrong."""

from __future__ import annotations

import asyncio

import pytest

from base import kafka_clients
from dashboard.protocol import Delta, Resumed, Snapshot, Stale, frame_type
from dashboard.subscriber import Tuning
from events.board import BedChange, BedStatus
from tests.dashboard.conftest import bed, next_frame

pytestmark = pytest.mark.kafka


def beds_of(frame) -> dict[str, str | None]:
    return {c.id: c.value.status if c.value else None for c in frame.changes if isinstance(c, BedChange)}


async def test_a_new_client_gets_a_snapshot_then_the_deltas_in_order(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available"), bed("A2", "dirty")])
    async with server.connect(token) as ws:
        first = await next_frame(ws)
        assert isinstance(first, Snapshot) and first.seq == 1
        assert beds_of(first) == {"A1": "available", "A2": "dirty"}
        await board.publish("demo", 2, changes=[bed("A2", "cleaning")])
        await board.publish("demo", 3, changes=[bed("A1", "occupied", encounter_id="e-1")])
        await board.publish("demo", 4, changes=[bed("A2", "available")])
        deltas = [await next_frame(ws) for _ in range(3)]
    assert [type(d) for d in deltas] == [Delta] * 3
    assert [d.seq for d in deltas] == [2, 3, 4]
    assert all(d.epoch == first.epoch for d in deltas)
    assert [beds_of(d) for d in deltas] == [{"A2": "cleaning"}, {"A1": "occupied"}, {"A2": "available"}]


async def test_a_client_watching_one_unit_sees_only_that_units_beds(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available"), bed("B1", "available", unit="B")])
    async with server.connect(token, query={"unit": "B"}) as ws:
        first = await next_frame(ws)
        assert beds_of(first) == {"B1": "available"}
        await board.publish("demo", 2, changes=[bed("A1", "dirty"), bed("B1", "dirty", unit="B")])
        delta = await next_frame(ws)
    assert beds_of(delta) == {"A1": None, "B1": "dirty"}


async def test_a_reconnect_with_since_resumes_from_the_recent_deltas(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    async with server.connect(token) as ws:
        first = await next_frame(ws)
        await board.publish("demo", 2, changes=[bed("A1", "occupied")])
        assert (await next_frame(ws)).seq == 2
    await board.publish("demo", 3, changes=[bed("A1", "dirty")])
    await board.publish("demo", 4, changes=[bed("A1", "cleaning")])
    await server.caught_up("demo", 4)
    async with server.connect(token, query={"since": 2, "epoch": first.epoch}) as ws:
        resumed = await next_frame(ws)
        missed = [await next_frame(ws) for _ in range(2)]
    assert isinstance(resumed, Resumed) and (resumed.since, resumed.seq) == (2, 4)
    assert [(d.seq, beds_of(d)) for d in missed] == [(3, {"A1": "dirty"}), (4, {"A1": "cleaning"})]


@pytest.mark.parametrize("tuning", [Tuning(ping_seconds=30, silent_seconds=90, recent_deltas=2)])
async def test_a_reconnect_that_cannot_be_resumed_gets_a_fresh_snapshot(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    moves: tuple[tuple[int, BedStatus], ...] = ((2, "occupied"), (3, "dirty"), (4, "cleaning"), (5, "available"))
    for seq, status in moves:
        await board.publish("demo", seq, changes=[bed("A1", status)])
    await server.caught_up("demo", 5)
    async with server.connect(token) as ws:
        epoch = (await next_frame(ws)).epoch
    cases = {
        "too far behind": {"since": 1, "epoch": epoch},
        "another epoch": {"since": 4, "epoch": "0:999"},
        "ahead of the server": {"since": 9, "epoch": epoch},
    }
    for case, query in cases.items():
        async with server.connect(token, query=query) as ws:
            frame = await next_frame(ws)
        assert isinstance(frame, Snapshot), case
        assert (frame.seq, beds_of(frame)) == (5, {"A1": "available"}), case


async def test_a_gap_in_the_board_stream_marks_the_board_stale_until_the_next_snapshot(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    async with server.connect(token) as ws:
        first = await next_frame(ws)
        await board.publish("demo", 2, changes=[bed("A1", "occupied")])
        await board.publish("demo", 4, changes=[bed("A1", "dirty")])  # seq 3 never arrives
        await board.publish("demo", 5, changes=[bed("A1", "cleaning")])
        assert (await next_frame(ws)).seq == 2
        stale = await next_frame(ws)
        assert isinstance(stale, Stale) and stale.seq == 2
        while server.fanout.boards["demo"].stale_since is None:
            await asyncio.sleep(0.05)
        async with server.connect(token) as late:
            late_first = await next_frame(late)
            assert isinstance(late_first, Snapshot) and late_first.stale_since is not None
            assert beds_of(late_first) == {"A1": "occupied"}
            assert isinstance(await next_frame(late), Stale)
        await board.publish("demo", 6, "snapshot", [bed("A1", "cleaning"), bed("A2", "available")])
        fresh = await next_frame(ws)
    assert isinstance(fresh, Snapshot), f"deltas after a gap must not reach clients, got {frame_type(fresh)}"
    assert fresh.seq == 6 and fresh.stale_since is None and fresh.epoch != first.epoch
    assert beds_of(fresh) == {"A1": "cleaning", "A2": "available"}


async def test_a_client_that_asks_for_a_resync_gets_a_fresh_snapshot(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    async with server.connect(token) as ws:
        await next_frame(ws)
        await board.publish("demo", 2, changes=[bed("A1", "occupied")])
        assert (await next_frame(ws)).seq == 2
        await ws.send('{"type": "resync"}')
        fresh = await next_frame(ws)
    assert isinstance(fresh, Snapshot) and fresh.seq == 2 and beds_of(fresh) == {"A1": "occupied"}


async def test_a_gap_makes_the_dashboard_ask_the_projection_worker_for_a_snapshot(server, board, board_settings):
    await board.publish("north", 1, "snapshot", [bed("N1", "available")])
    await board.publish("north", 3, changes=[bed("N1", "dirty")])  # seq 2 never arrives
    consumer = kafka_clients.consumer(board_settings, board_settings.topics.board_requests, client_id="test-requests")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 20)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"north", b"north")


async def test_a_periodic_snapshot_that_follows_the_last_delta_reaches_clients_as_a_delta_of_what_differs(
    server, board, token
):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available"), bed("A2", "dirty")])
    async with server.connect(token) as ws:
        first = await next_frame(ws)
        await board.publish("demo", 2, "snapshot", [bed("A1", "available"), bed("A2", "dirty")])
        await board.publish("demo", 3, changes=[bed("A2", "cleaning")])
        follow = [await next_frame(ws) for _ in range(2)]
    assert [(type(f), f.seq, f.epoch) for f in follow] == [(Delta, 2, first.epoch), (Delta, 3, first.epoch)]
    assert follow[0].changes == []
