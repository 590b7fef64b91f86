"""The board stream's numbering rules (pure): seq per facility, snapshot cadence,
interrupted-write completion, and what a consumer does with gaps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from events.board import CHANGE_TYPES, BedChange, BedValue, BoardValue, EntityChange
from events.catalogue import BedCleaned
from events.envelope import Actor, Envelope
from projections import board_stream as bs

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def envelope(position: int) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        type="BedCleaned",
        schema_version=1,
        facility_id="fac-1",
        aggregate_type="Bed",
        aggregate_id=uuid.uuid4(),
        aggregate_version=position,
        position=position,
        occurred_at=T0 + timedelta(minutes=position),
        recorded_at=T0,
        actor=Actor(id="u", role="evs"),
        correlation_id=None,
        data=BedCleaned(),
    )


def change(n: int, value: int | None) -> BedChange:
    if value is None:
        return BedChange(id=f"B{n}", value=None)
    bed = BedValue(
        unit="A",
        bed_type="acute",
        label=f"version {value}",
        status="available",
        encounter_id=None,
        since=T0.isoformat(),
        reason=None,
    )
    return BedChange(id=f"B{n}", value=bed)


def test_cursor_numbers_only_publishing_events_and_keeps_the_highest_position_per_stream():
    cursor = bs.BoardCursor(facility_id="fac-1", partition=1)
    cursor = bs.advance(cursor, envelope(5), "ed", {}, publishes=True)
    cursor = bs.advance(cursor, envelope(7), "access", {}, publishes=False)
    cursor = bs.advance(cursor, envelope(6), "ed", {}, publishes=True)
    assert (cursor.seq, cursor.positions) == (2, {"ed": 6, "access": 7})
    assert bs.decode_cursor(bs.encode_cursor(cursor)) == cursor


def test_pending_writes_already_stored_are_not_written_again():
    cursor = bs.BoardCursor(facility_id="f", partition=0, pending={"f|a": b"1", "f|b": b"2", "f|c": None})
    assert bs.unfinished_changes(cursor, {"f|a": b"1", "f|b": b"old", "f|c": b"x"}) == {"f|b": b"2", "f|c": None}


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=400))
def test_a_snapshot_is_due_exactly_every_n_messages(every, messages):
    due = [seq for seq in range(1, messages + 1) if bs.snapshot_due(seq, every)]
    assert due == list(range(every, messages + 1, every))


updates = st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 9))), min_size=1, max_size=4)


@given(st.lists(updates, min_size=1, max_size=40), st.sets(st.integers(1, 40)), st.integers(1, 10))
def test_a_consumer_that_misses_deltas_is_out_of_sync_until_a_snapshot_then_exact(batches, lost, every):
    """Publish like the worker (deltas, a snapshot every `every`), drop some
    messages in transit: the consumer's board is either flagged out of sync
    or equal to the true board as of the last seq it applied."""
    truth: dict[tuple[str, str], BoardValue] = {}
    truth_at: dict[int, dict[tuple[str, str], BoardValue]] = {}
    cursor = bs.BoardCursor(facility_id="fac-1", partition=0)
    view = bs.BoardView()
    for position, batch in enumerate(batches, start=1):
        changes: list[EntityChange] = [change(n, v) for n, v in batch]
        for c in changes:
            if c.value is None:
                truth.pop((c.kind, c.id), None)
            else:
                truth[(c.kind, c.id)] = c.value
        cursor = bs.advance(cursor, envelope(position), "ed", {}, publishes=True)
        if bs.snapshot_due(cursor.seq, every):
            entities = [CHANGE_TYPES[k](id=i, value=v) for (k, i), v in truth.items()]
            message = bs.snapshot(cursor, entities)
        else:
            message = bs.delta(cursor, changes)
        truth_at[message.seq] = dict(truth)
        if message.seq not in lost:
            view.apply(message)
        assert not view.in_sync or (view.seq is not None and view.entities == truth_at[view.seq])
    # Liveness: once a snapshot arrives and nothing after it is lost, in sync.
    snapshots = [seq for seq in range(every, cursor.seq + 1, every) if seq not in lost]
    if snapshots and not lost & set(range(snapshots[-1], cursor.seq + 1)):
        assert view.in_sync
