"""What the worker's agent does with one record: fold it into the table and
publish the board message. Runs inside a faust stream (the table picks the
partition from the current event), but knows nothing else of faust.

Records come in batches; each facility's events of a batch (up to `RUN`) are
folded in memory, one after the other, and then written once: every changed
entry once, whatever number of the events changed it, the cursor once, and
one board message carrying the board changes of them all. Order matters for
a crash at any instant:
1. the cursor, carrying the run's encoded changes (`pending`), then
2. the changes themselves, then
3. the board message.
A worker killed between 1 and 2 finishes the pending writes before it folds
the facility's next event (`_resume`); one killed between 2 and 3 leaves a
seq gap, which the snapshot published at every start closes. Tables rebuilt
from changelogs may be behind the board topic: numbering goes on after the
last seq published there (`published`, read at start), so no seq repeats.

An event a reducer cannot apply stops nothing: its changes are computed and
encoded before anything is written, so none of them is kept (atomic per
event); the run's events before it are written, and it goes to the
dead-letter topic instead (`set_aside`). The
board counts it in its alert and moves on; the offset is committed as usual.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
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
from projections.runtime.entry_table import EntryTable

log = logging.getLogger("edflow.worker")
# Most events of one facility folded in memory and written together: bounds
# the cursor, which carries their changes, well under Kafka's message size.
RUN = 100


class Place(NamedTuple):
    """Where a record sits in Kafka."""

    topic: str
    partition: int
    offset: int


class LiveFold(EntryTable):
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
        super().__init__(entries, fold)
        self.facilities, self.profile_for = facilities, profile_for
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
        self.forget()  # the tables were recovered from their changelogs
        self.published = published

    def owned_facilities(self, partitions: set[int]) -> dict[int, set[str]]:
        """partition -> facilities with a cursor in it, for the owned partitions."""
        owned: dict[int, set[str]] = {p: set() for p in partitions}
        for raw in self.facilities.keys():
            cursor = self._stored_cursor(raw.decode())
            if cursor is not None and cursor.partition in owned:
                owned[cursor.partition].add(cursor.facility_id)
        return owned

    async def on_event_records(self, records: Sequence[tuple[Place, bytes | None]]) -> None:
        """Fold records of one partition in their order: each facility's
        events in runs of up to `RUN` (`apply_run`)."""
        runs: dict[str, list[tuple[Envelope, bs.Stream, Place]]] = {}
        for place, value in records:
            try:
                envelope = decode(value or b"")
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                # The record can never fold; say where it is (no payload: PHI) and go on.
                self.counts["rejected"] += 1
                log.error("skipped undecodable record %s[%d]@%d: %s", *place, error)
                continue
            runs.setdefault(envelope.facility_id, []).append((envelope, self.streams[place.topic], place))
        for run in runs.values():
            for start in range(0, len(run), RUN):
                await self.apply_run(run[start : start + RUN])

    async def apply_run(self, run: Sequence[tuple[Envelope, bs.Stream, Place]]) -> None:
        """Fold one facility's events in order, each onto what those before it
        left (`folded`, in memory), then write them together (`_save`)."""
        facility_id = run[0][0].facility_id
        cursor = self._cursor(facility_id, run[0][2].partition)
        fold, profile = self.fold, self.profile_for(facility_id)
        folded: dict[str, Any] = {}
        pending: dict[str, bytes | None] = {}
        board: list[EntityChange] = []
        for envelope, stream, place in run:
            self.counts["events"] += 1
            try:
                current = {k: folded[k] if k in folded else self._entry(k) for k in fold.keys_for(envelope, profile)}
                step = fold.step(current, envelope, profile)
                encoded = {k: None if v is None else fold.encode_entry(v) for k, v in step.changes.items()}
            except Exception as error:
                # Nothing of the event is written: it is dropped whole, after those before it.
                cursor = await self.set_aside(await self._save(cursor, pending, board, folded), envelope, place, error)
                folded, pending, board = {}, {}, []
                continue
            if not step.changes and not step.board:
                self.counts["unchanged"] += 1
                continue
            folded.update(step.changes)
            pending.update(encoded)
            board.extend(step.board or ())
            cursor = bs.advance(cursor, envelope, stream, {}, publishes=False)
        await self._save(cursor, pending, board, folded)

    async def _save(
        self,
        cursor: bs.BoardCursor,
        pending: dict[str, bytes | None],
        board: list[EntityChange],
        folded: Mapping[str, Any],
    ) -> bs.BoardCursor:
        """Write a run: the cursor with its changes, the changes, one board
        message (the last change of each entity) if the board changed."""
        if not pending and not board:
            return cursor
        cursor = msgspec.structs.replace(cursor, seq=cursor.seq + 1 if board else cursor.seq, pending=pending)
        self._put(bs.cursor_key(cursor.facility_id), bs.encode_cursor(cursor))
        self._write(pending)
        self.remember(folded)
        if board:
            await self._publish(cursor, list({(c.kind, c.id): c for c in board}.values()))
        return cursor

    async def set_aside(
        self, cursor: bs.BoardCursor, envelope: Envelope, place: Place, error: Exception
    ) -> bs.BoardCursor:
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
            return cursor
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
        return cursor

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
            message = "facility %s: board seq %d already published, tables at %d; numbering on from that"
            log.warning(message, cursor.facility_id, published, cursor.seq)
            cursor = msgspec.structs.replace(cursor, seq=published)
            self._put(bs.cursor_key(cursor.facility_id), bs.encode_cursor(cursor))
        return cursor

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
