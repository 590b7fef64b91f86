"""Numbering and cadence of the board stream, and the worker's per-facility cursor.

Pure: the faust worker reads a facility's `BoardCursor` from its table, asks
this module what to publish, and writes the new cursor back. The cursor lives
in the same table as the fold's entries (key `cursor_key(facility)`) so that
its changelog is ordered with theirs.

The cursor also carries the fold changes of the last run of events it
numbered (`pending`; the worker folds a facility's events in runs and writes
each run once): the worker writes the cursor before the entries, so if it
dies half-way through writing them, the next run of that facility first
finishes the job (`unfinished_changes`) instead of folding onto a
half-written state.

Events the fold could not apply (`projections.guarded`) are counted on the
cursor too, with the latest few, and shown as the board's "alert" entity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

import msgspec

from events.board import AlertChange, AlertValue, BoardMessage, BoardValue, DeadLetterNote, EntityChange
from events.envelope import Envelope

Stream = Literal["ed", "access"]
CURSOR_KIND = "worker"
ALERT_ID = "dead-letters"
# How many of the latest dead letters the board alert lists.
ALERT_LATEST = 5


class BoardCursor(msgspec.Struct, kw_only=True, omit_defaults=True):
    facility_id: str
    # The facility's partition of the event topics: where its entries live.
    partition: int
    seq: int = 0
    as_of: datetime | None = None
    positions: dict[str, int] = {}
    # Encoded table values of the last event's changes (None = delete).
    pending: dict[str, bytes | None] = {}
    # Events of the facility set aside (dead-lettered), and the latest few.
    dead_letters: int = 0
    latest_dead: list[DeadLetterNote] = []


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(BoardCursor)


def encode_cursor(cursor: BoardCursor) -> bytes:
    return _encoder.encode(cursor)


def decode_cursor(raw: bytes) -> BoardCursor:
    return _decoder.decode(raw)


def cursor_key(facility_id: str) -> str:
    return f"{facility_id}|{CURSOR_KIND}|cursor"


def facility_prefix(facility_id: str) -> str:
    return f"{facility_id}|"


def is_cursor_key(key: str) -> bool:
    return key.endswith(f"|{CURSOR_KIND}|cursor")


def dead_letter_key(facility_id: str, event_id: str) -> str:
    """Marks an event as set aside, so a redelivery is not sent twice."""
    return f"{facility_id}|{CURSOR_KIND}|dead|{event_id}"


def is_worker_key(key: str) -> bool:
    """The worker's own entries (cursor, dead-letter marks), not the fold's."""
    return key.split("|", 2)[1:2] == [CURSOR_KIND]


def set_aside(cursor: BoardCursor, note: DeadLetterNote, pending: dict[str, bytes | None]) -> BoardCursor:
    """The cursor after an event was dead-lettered: the alert changes, so it
    takes the next seq; positions stay (nothing of the event was folded)."""
    return msgspec.structs.replace(
        cursor,
        seq=cursor.seq + 1,
        pending=pending,
        dead_letters=cursor.dead_letters + 1,
        latest_dead=[note, *cursor.latest_dead][:ALERT_LATEST],
    )


def alert(cursor: BoardCursor) -> list[EntityChange]:
    """The board's dead-letter alert; none while nothing was set aside."""
    if not cursor.dead_letters:
        return []
    return [AlertChange(id=ALERT_ID, value=AlertValue(count=cursor.dead_letters, latest=list(cursor.latest_dead)))]


def unfinished_changes(cursor: BoardCursor, stored: Mapping[str, bytes | None]) -> dict[str, bytes | None]:
    """The pending writes that did not reach the table (`stored`: current raw values)."""
    return {key: value for key, value in cursor.pending.items() if stored.get(key) != value}


def snapshot_due(seq: int, every: int) -> bool:
    return seq % every == 0


def advance(
    cursor: BoardCursor,
    envelope: Envelope,
    stream: Stream,
    pending: dict[str, bytes | None],
    publishes: bool,
) -> BoardCursor:
    """The cursor after folding `envelope`; `publishes` takes the next seq."""
    return msgspec.structs.replace(
        cursor,
        seq=cursor.seq + 1 if publishes else cursor.seq,
        as_of=envelope.occurred_at,
        positions={**cursor.positions, stream: max(envelope.position, cursor.positions.get(stream, 0))},
        pending=pending,
    )


def delta(cursor: BoardCursor, changes: list[EntityChange], time_zone: str | None = None) -> BoardMessage:
    return BoardMessage(
        facility_id=cursor.facility_id,
        seq=cursor.seq,
        type="delta",
        as_of=cursor.as_of,
        positions=dict(cursor.positions),
        changes=changes,
        time_zone=time_zone,
    )


def snapshot(cursor: BoardCursor, entities: Iterable[EntityChange], time_zone: str | None = None) -> BoardMessage:
    return BoardMessage(
        facility_id=cursor.facility_id,
        seq=cursor.seq,
        type="snapshot",
        as_of=cursor.as_of,
        positions=dict(cursor.positions),
        changes=sorted(entities, key=lambda change: (change.kind, change.id)),
        time_zone=time_zone,
    )


def renumbered(cursor: BoardCursor) -> BoardCursor:
    """The cursor after a snapshot published on request (worker start, gap)."""
    return msgspec.structs.replace(cursor, seq=cursor.seq + 1)


class BoardView:
    """A board stream consumer's state: what a dashboard keeps per facility.

    Applies snapshots and deltas by the contract in `events.board`; a delta
    that does not follow the last seq puts it out of sync until the next
    snapshot."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.entities: dict[tuple[str, str], BoardValue] = {}
        self.gaps = 0

    @property
    def in_sync(self) -> bool:
        return self.seq is not None

    def apply(self, message: BoardMessage) -> None:
        if message.type == "snapshot":
            self.entities = {(c.kind, c.id): c.value for c in message.changes if c.value is not None}
            self.seq = message.seq
            return
        if self.seq is None:
            return
        if message.seq != self.seq + 1:
            self.seq, self.gaps = None, self.gaps + 1
            self.entities = {}
            return
        for change in message.changes:
            if change.value is None:
                self.entities.pop((change.kind, change.id), None)
            else:
                self.entities[(change.kind, change.id)] = change.value
        self.seq = message.seq
