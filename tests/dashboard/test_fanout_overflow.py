"""The fan-out's bookkeeping without sockets: a client whose outbox is full is
resynced with one snapshot, one that keeps overflowing is dropped, and the
frames every client gets are the same bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from dashboard.fanout import Fanout
from dashboard.protocol import Delta, Snapshot, decode_frame
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
    frames = [decode_frame(raw) for raw in slow.outbox]
    assert len(slow.resyncs) == 1
    assert [type(f) for f in frames] == [Snapshot]
    assert isinstance(frames[0], Snapshot)
    assert frames[0].seq == 5 and {c.id for c in frames[0].changes} == {"A1", "B1", "B2", "B3", "B4", "B5"}
    fanout.receive(message(6), "0:6")
    follow = decode_frame(slow.outbox[-1])
    assert isinstance(follow, Delta) and follow.seq == 6


async def test_a_client_that_keeps_overflowing_is_dropped_and_the_others_are_not():
    fanout = live_fanout(Tuning(outbox_frames=2, resyncs_before_drop=2))
    slow, fast = Subscriber("slow", fanout.tuning), Subscriber("fast", fanout.tuning)
    fanout.subscribe(slow, "demo", None)
    fanout.subscribe(fast, "demo", None)
    for seq in range(2, 12):
        fanout.receive(message(seq), f"0:{seq}")
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
    snapshots = {id(c.outbox[0]) for c in clients}
    deltas = {id(c.outbox[1]) for c in clients}
    assert len(snapshots) == 1 and len(deltas) == 1
