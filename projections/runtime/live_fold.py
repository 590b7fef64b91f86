"""What the worker's agent does with one record: fold it into the table and
publish the board message. Runs inside a faust stream (the table picks the
partition from the current event), but knows nothing else of faust.

Per event, writes are O(1): the fold's changed entries plus the facility's
board cursor. Order matters for a crash at any instant:
1. the cursor, carrying the event's encoded changes (`pending`), then
2. the changes themselves, then
3. the board message.
A worker killed between 1 and 2 finishes the pending writes before it folds
the facility's next event (`_resume`); one killed between 2 and 3 leaves a
seq gap, which the snapshot published at every start closes. Tables rebuilt
from changelogs may be behind the board topic: numbering goes on after the
last seq published there (`published`, read at start), so no seq repeats.

An event a reducer cannot apply stops nothing: its changes are computed and
encoded before anything is written, so none of them is kept (atomic per
event), and it goes to the dead-letter topic instead (`set_aside`). The
board counts it in its alert and moves on; the offset is committed as usual.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from events.board import DeadLetterNote, EntityChange, encode_board
from events.deadletter import DeadLetter, encode_dead_letter
from events.envelope import Envelope, decode
from projections import board_stream as bs
from projections.board_clock import ticked
from projections.facility_entries import facility_items
from projections.guarded import failure_reason

log = logging.getLogger("edflow.worker")


class Place(NamedTuple):
    """Where a record sits in Kafka."""

    topic: str
    partition: int
    offset: int


class LiveFold:
    def __init__(
        self,
        fold: Any,
        entries: Any,
        facilities: Any,
        board_topic: Any,
        streams: Mapping[str, bs.Stream],
        snapshot_every: int,
        profile_for: Callable[[str], Any],
        deadletter_topic: Any,
    ):
        self.fold, self.entries, self.facilities, self.profile_for = fold, entries, facilities, profile_for
        self.deadletter_topic = deadletter_topic
        self.board_topic, self.streams, self.snapshot_every = board_topic, streams, snapshot_every
        self.counts: Counter[str] = Counter()
        self._resumed: set[str] = set()
        # Last seq per facility already on the board topic (read at start).
        self.published: dict[str, int] = {}
        # Told of every board message sent (the board clock keeps what each board shows).
        self.watchers: list[Callable[[Any], None]] = []
        # The board clock's instant for a facility, when the clock runs.
        self.clock_instant: Callable[[str], datetime] | None = None

    def on_rebalance(self, published: dict[str, int]) -> None:
        self._resumed.clear()
        self.published = published

    def owned_facilities(self, partitions: set[int]) -> dict[int, set[str]]:
        """partition -> facilities with a cursor in it, for the owned partitions."""
        owned: dict[int, set[str]] = {p: set() for p in partitions}
        for raw in self.facilities.keys():
            cursor = self._stored_cursor(raw.decode())
            if cursor is not None and cursor.partition in owned:
                owned[cursor.partition].add(cursor.facility_id)
        return owned

    async def on_event_record(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        try:
            envelope = decode(value or b"")
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            # The record can never fold; say where it is (no payload: PHI) and go on.
            self.counts["rejected"] += 1
            log.error("skipped undecodable record %s[%d]@%d: %s", topic, partition, offset, error)
            return
        await self.apply(envelope, self.streams[topic], Place(topic, partition, offset))

    async def apply(self, envelope: Envelope, stream: bs.Stream, place: Place) -> None:
        facility_id = envelope.facility_id
        cursor = self._cursor(facility_id, place.partition)
        profile = self.profile_for(facility_id)
        self.counts["events"] += 1
        try:
            keys = self.fold.keys_for(envelope, profile)
            current = {key: self._entry(key) for key in keys}
            step = self.fold.step(current, envelope, profile)
            pending = {k: None if v is None else self.fold.encode_entry(v) for k, v in step.changes.items()}
        except Exception as error:
            # Nothing of the event was written: it is dropped whole.
            await self.set_aside(cursor, envelope, place, error)
            return
        if not step.changes and not step.board:
            self.counts["unchanged"] += 1
            return
        cursor = bs.advance(cursor, envelope, stream, pending, publishes=bool(step.board))
        self._put(bs.cursor_key(facility_id), bs.encode_cursor(cursor))
        self._write(pending)
        if step.board:
            await self._publish(cursor, step.board)

    async def set_aside(self, cursor: bs.BoardCursor, envelope: Envelope, place: Place, error: Exception) -> None:
        """Dead-letter an event a reducer could not apply: the record (keyed by
        event id) first, then the cursor with its alert and the event's mark,
        then the board. A worker killed before the mark is written sends the
        same record again on redelivery (same key, same meaning); after it, a
        redelivery counts as unchanged."""
        reason = failure_reason(error)
        # The frames name code, not values; the exception's message is left out (PHI).
        log.error(
            "set aside %s event %s (%s[%d]@%d, position %d): %s\n%s",
            envelope.type,
            envelope.event_id,
            *place,
            envelope.position,
            reason,
            "".join(traceback.format_tb(error.__traceback__)).rstrip(),
        )
        mark = bs.dead_letter_key(envelope.facility_id, str(envelope.event_id))
        if self._get(mark) is not None:
            self.counts["unchanged"] += 1
            return
        self.counts["dead"] += 1
        at = datetime.now(UTC)
        raw = encode_dead_letter(
            DeadLetter(
                event_id=envelope.event_id,
                type=envelope.type,
                facility_id=envelope.facility_id,
                topic=place.topic,
                partition=place.partition,
                offset=place.offset,
                position=envelope.position,
                reason=reason,
                at=at,
            )
        )
        await self.deadletter_topic.send(key=str(envelope.event_id).encode(), value=raw)
        cursor = bs.set_aside(cursor, DeadLetterNote(type=envelope.type, at=at.isoformat(), reason=reason), {mark: raw})
        self._put(bs.cursor_key(envelope.facility_id), bs.encode_cursor(cursor))
        self._write({mark: raw})
        await self._publish(cursor, bs.alert(cursor))

    async def publish_at(self, facility_id: str, changes: list[EntityChange], at: datetime) -> None:
        """Board values re-evaluated at `at` (`projections.board_clock`) as the
        facility's next message; only the cursor is written."""
        cursor = self._stored_cursor(facility_id)
        if cursor is None:
            return
        cursor = ticked(self._resume(cursor), at)
        self._put(bs.cursor_key(facility_id), bs.encode_cursor(cursor))
        await self._publish(cursor, changes, at)

    def read(self, keys: list[str]) -> dict[str, Any]:
        """The fold's entries at `keys` (None where absent)."""
        return {key: self._entry(key) for key in keys}

    async def _publish(self, cursor: bs.BoardCursor, changes: list[EntityChange], at: datetime | None = None) -> None:
        timezone = self.profile_for(cursor.facility_id).timezone
        if bs.snapshot_due(cursor.seq, self.snapshot_every):
            await self._send(bs.snapshot(cursor, self._entities(cursor, at), timezone))
        else:
            await self._send(bs.delta(cursor, changes, timezone))

    async def publish_snapshots(self, partition: int, wanted: str | None) -> None:
        """A snapshot for every facility of `partition` (or only `wanted`)."""
        for facility_id in [raw.decode() for raw in self.facilities.keys()]:
            if wanted is not None and facility_id != wanted:
                continue
            cursor = self._stored_cursor(facility_id)
            if cursor is None or cursor.partition != partition:
                continue
            cursor = self._resume(cursor)
            # With a board clock, the snapshot is the board at its instant.
            at = self.clock_instant(facility_id) if self.clock_instant else None
            cursor = bs.renumbered(msgspec.structs.replace(cursor, pending={}, as_of=at or cursor.as_of))
            self._put(bs.cursor_key(facility_id), bs.encode_cursor(cursor))
            await self._send(bs.snapshot(cursor, self._entities(cursor, at), self.profile_for(facility_id).timezone))

    # --- table access -------------------------------------------------------

    def _stored_cursor(self, facility_id: str) -> bs.BoardCursor | None:
        raw = self._get(bs.cursor_key(facility_id))
        return None if raw is None else bs.decode_cursor(raw)

    def _cursor(self, facility_id: str, partition: int) -> bs.BoardCursor:
        cursor = self._stored_cursor(facility_id)
        if cursor is None:
            self.facilities[facility_id.encode()] = str(partition).encode()
            return bs.BoardCursor(facility_id=facility_id, partition=partition)
        return self._resume(cursor)

    def _resume(self, cursor: bs.BoardCursor) -> bs.BoardCursor:
        """First touch of a facility since start: complete the last event's
        writes if a crash cut them short, and number on after what the board
        topic already holds (the changelog may be behind it)."""
        if cursor.facility_id in self._resumed:
            return cursor
        self._resumed.add(cursor.facility_id)
        stored = {key: self._get(key) for key in cursor.pending}
        unfinished = bs.unfinished_changes(cursor, stored)
        if unfinished:
            log.warning("completing %d interrupted table writes of facility %s", len(unfinished), cursor.facility_id)
            self._write(unfinished)
        published = self.published.get(cursor.facility_id, 0)
        if published > cursor.seq:
            log.warning(
                "facility %s: board seq %d already published, tables at %d; numbering on from %d",
                cursor.facility_id,
                published,
                cursor.seq,
                published,
            )
            cursor = msgspec.structs.replace(cursor, seq=published)
            self._put(bs.cursor_key(cursor.facility_id), bs.encode_cursor(cursor))
        return cursor

    def _entry(self, key: str) -> Any:
        raw = self._get(key)
        return None if raw is None else self.fold.decode_entry(raw)

    def _get(self, key: str) -> bytes | None:
        return self.entries.get(key.encode())

    def _put(self, key: str, raw: bytes) -> None:
        self.entries[key.encode()] = raw

    def _write(self, changes: Mapping[str, bytes | None]) -> None:
        for key, raw in changes.items():
            if raw is None:
                self.entries.pop(key.encode(), None)
            else:
                self._put(key, raw)

    def _entities(self, cursor: bs.BoardCursor, at: datetime | None = None) -> list:
        items = (
            (key, self.fold.decode_entry(raw))
            for key, raw in facility_items(self.entries, cursor.partition, cursor.facility_id)
            if not bs.is_worker_key(key)
        )
        return [*self.fold.board_snapshot(items, self.profile_for(cursor.facility_id), at), *bs.alert(cursor)]

    async def _send(self, message: Any) -> None:
        self.counts[message.type] += 1
        for watch in self.watchers:
            watch(message)
        await self.board_topic.send(key=message.facility_id.encode(), value=encode_board(message))
