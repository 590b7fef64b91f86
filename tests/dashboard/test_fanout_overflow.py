"""The fan-out's bookkeeping without sockets: a client whose outbox is full is
resynced with one snapshot, one that keeps overflowing is dropped, the
frames every client of a view gets are the same bytes, and a tick's deltas
go out together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Literal

from dashboard.fanout import Fanout
from dashboard.protocol import Delta, Deltas, Snapshot, Stale, decode_frame, encode_frame, join_deltas
from dashboard.subscriber import Subscriber, Tuning
from events.board import BedStatus, BoardMessage
from tests.dashboard.conftest import bed

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def message(seq: int, kind: Literal["snapshot", "delta"] = "delta", status: BedStatus = "available") -> BoardMessage:
    return BoardMessage(
        facility_id="demo",
        seq=seq,
        type=kind,
        as_of=T0 + timedelta(minutes=seq),
        changes=[bed("A1", status), bed(f"B{seq}", "dirty")],
    )


def live_fanout(tuning: Tuning) -> Fanout:
    fanout = Fanout(tuning)
    fanout.mark_caught_up()
    fanout.receive(message(1, "snapshot"), "0:0")
    return fanout


async def test_a_full_outbox_is_replaced_by_one_snapshot_of_the_current_board():
    fanout = live_fanout(Tuning(outbox_frames=4, resyncs_before_drop=5))
    slow = Subscriber("slow", fanout.tuning)
    fanout.subscribe(slow, "demo", None)
    for seq in range(2, 6):  # snapshot + 3 deltas fill the outbox; the 4th overflows
        fanout.receive(message(seq, status="occupied" if seq % 2 else "dirty"), f"0:{seq}")
        fanout.flush()
    frames = [decode_frame(raw) for raw in slow.outbox]
    assert len(slow.resyncs) == 1
    assert [type(f) for f in frames] == [Snapshot]
    assert isinstance(frames[0], Snapshot)
    assert frames[0].seq == 5 and {c.id for c in frames[0].changes} == {"A1", "B1", "B2", "B3", "B4", "B5"}
    fanout.receive(message(6), "0:6")
    fanout.flush()
    follow = decode_frame(slow.outbox[-1])
    assert isinstance(follow, Delta) and follow.seq == 6


async def test_a_client_that_keeps_overflowing_is_dropped_and_the_others_are_not():
    fanout = live_fanout(Tuning(outbox_frames=2, resyncs_before_drop=2))
    slow, fast = Subscriber("slow", fanout.tuning), Subscriber("fast", fanout.tuning)
    fanout.subscribe(slow, "demo", None)
    fanout.subscribe(fast, "demo", None)
    for seq in range(2, 12):
        fanout.receive(message(seq), f"0:{seq}")
        fanout.flush()
        fast.outbox.clear()  # the fast client keeps up
    assert slow.drop_reason is not None and slow.dropped.is_set()
    assert slow not in fanout.watchers["demo"] and fast in fanout.watchers["demo"]
    assert fast.drop_reason is None and not fast.resyncs


async def test_every_client_gets_the_same_encoded_bytes():
    fanout = live_fanout(Tuning())
    clients = [Subscriber(f"c{n}", fanout.tuning) for n in range(3)]
    for client in clients:
        fanout.subscribe(client, "demo", None)
    fanout.receive(message(2), "0:2")
    fanout.flush()
    snapshots = {id(c.outbox[0]) for c in clients}
    deltas = {id(c.outbox[1]) for c in clients}
    assert len(snapshots) == 1 and len(deltas) == 1


async def test_the_deltas_of_one_tick_reach_each_view_as_one_frame_encoded_once():
    fanout = live_fanout(Tuning(tick_seconds=60, burst_frames=1))
    everyone = [Subscriber(f"c{n}", fanout.tuning) for n in range(2)]
    unit_b = Subscriber("unit-b", fanout.tuning)
    beds_only = Subscriber("beds", fanout.tuning, kinds=frozenset({"bed"}))
    for client in everyone:
        fanout.subscribe(client, "demo", None)
    fanout.subscribe(unit_b, "demo", "B")
    fanout.subscribe(beds_only, "demo", None)
    fanout.receive(message(2), "0:2")
    await asyncio.sleep(0.01)  # the first delta of a quiet board leaves at once
    first = decode_frame(everyone[0].outbox[-1])
    assert isinstance(first, Delta) and first.seq == 2 and len(everyone[0].outbox) == 2
    for seq in range(3, 6):
        fanout.receive(message(seq), f"0:{seq}")
    await asyncio.sleep(0.01)
    assert len(everyone[0].outbox) == 2, "within the tick, the deltas after the first are held"
    fanout.flush()
    held = decode_frame(everyone[0].outbox[-1])
    assert isinstance(held, Deltas) and [d.seq for d in held.deltas] == [3, 4, 5]
    assert {id(c.outbox[-1]) for c in everyone} == {id(everyone[0].outbox[-1])}
    assert {id(c.outbox[-1]) for c in (*everyone, unit_b, beds_only)} != {id(everyone[0].outbox[-1])}
    assert all(isinstance(decode_frame(c.outbox[-1]), Deltas) for c in (unit_b, beds_only))


async def test_a_client_that_joins_within_a_tick_gets_only_the_deltas_after_its_snapshot():
    fanout = live_fanout(Tuning(tick_seconds=60, burst_frames=1))
    early = Subscriber("early", fanout.tuning)
    fanout.subscribe(early, "demo", None)
    fanout.receive(message(2), "0:2")
    await asyncio.sleep(0.01)
    fanout.receive(message(3), "0:3")  # held
    late = Subscriber("late", fanout.tuning)
    fanout.subscribe(late, "demo", None)  # its snapshot already holds seq 3
    fanout.receive(message(4), "0:4")
    fanout.flush()
    early_frames = [decode_frame(raw) for raw in early.outbox]
    late_frames = [decode_frame(raw) for raw in late.outbox]
    assert [type(f) for f in early_frames] == [Snapshot, Delta, Deltas]
    assert [d.seq for d in early_frames[2].deltas] == [3, 4]  # type: ignore[union-attr]
    assert [(type(f), f.seq) for f in late_frames] == [(Snapshot, 3), (Delta, 4)]  # type: ignore[union-attr]


async def test_a_gap_sends_the_held_deltas_before_the_board_turns_stale():
    fanout = live_fanout(Tuning(tick_seconds=60, burst_frames=1))
    client = Subscriber("c", fanout.tuning)
    fanout.subscribe(client, "demo", None)
    fanout.receive(message(2), "0:2")
    await asyncio.sleep(0.01)
    fanout.receive(message(3), "0:3")  # held
    fanout.receive(message(5), "0:5")  # seq 4 is lost
    frames = [decode_frame(raw) for raw in client.outbox]
    assert [type(f) for f in frames] == [Snapshot, Delta, Delta, Stale]
    assert [f.seq for f in frames] == [1, 2, 3, 3]  # type: ignore[union-attr]


async def test_after_a_quiet_spell_a_facility_may_send_a_burst_of_frames_at_once():
    fanout = live_fanout(Tuning(tick_seconds=60, burst_frames=2))
    client = Subscriber("c", fanout.tuning)
    fanout.subscribe(client, "demo", None)
    for seq in (2, 3, 4):
        fanout.receive(message(seq), f"0:{seq}")
        await asyncio.sleep(0.01)
    assert [decode_frame(raw).seq for raw in client.outbox] == [1, 2, 3]  # type: ignore[union-attr]
    fanout.flush()
    assert decode_frame(client.outbox[-1]).seq == 4  # type: ignore[union-attr]


def test_a_deltas_frame_joined_from_encoded_deltas_is_the_encoding_of_the_typed_frame():
    deltas = [Delta(facility="demo", seq=seq, epoch="0:1", as_of=T0, changes=[bed("A1", "dirty")]) for seq in (7, 8, 9)]
    joined = join_deltas("demo", [encode_frame(d) for d in deltas])
    assert joined == encode_frame(Deltas(facility="demo", deltas=deltas))
    assert decode_frame(joined) == Deltas(facility="demo", deltas=deltas)
    assert join_deltas("demo", [encode_frame(deltas[0])]) == encode_frame(deltas[0])  # one delta: a plain frame
