"""Scrubbing through history fast: the fold of the store's events, kept as a
snapshot every `every` events, so a replay at any instant starts from the
nearest usable snapshot instead of from the first event.

A snapshot after the first p events (in store order) is the replay at T of
those p events exactly when every one of them is at or before T on the axis
asked for (recorded or occurred). The latest such snapshot is taken and the
events after it are fed with the usual filter, so the answer equals a full
replay: same table, same counts of events read, folded and skipped.

Memory stays small over a long history: a snapshot keeps only the entries
that changed since the one before it, and every `full_every`-th keeps the
whole table (entries are immutable, so that is a shallow copy); a table is
rebuilt from the nearest whole one and the changes after it. The events are
kept encoded, each block of `every` compressed once it is full, and decoded
only when a replay feeds them.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from events.envelope import Envelope, decode, encode
from projections.entries import Entry
from projections.guarded import apply_changes
from projections.profile import DEFAULT_PROFILE, FacilityProfile
from projections.replay import Order, Replay

EVERY = 250
FULL_EVERY = 40


@dataclass(frozen=True)
class Snapshot:
    count: int  # events before it, in store order
    position: int  # store position of the last of them
    changes: dict[str, Entry | None]  # since the snapshot before it
    table: dict[str, Entry] | None  # the whole table, every FULL_EVERY-th snapshot
    facilities: frozenset[str]
    folded: int
    skipped: int
    latest: dict[str, datetime]  # axis -> the latest time among those events


@dataclass
class ReplayIndex:
    """The store's events in order and snapshots of their fold; `extend` with
    events as they are recorded, then `replay(at, by)` as often as wanted."""

    profile_for: Callable[[str], FacilityProfile] = lambda facility_id: DEFAULT_PROFILE
    every: int = EVERY
    full_every: int = FULL_EVERY
    count: int = 0  # events kept, in store order
    snapshots: list[Snapshot] = field(default_factory=list)
    _running: Replay | None = None
    _latest: dict[str, datetime] = field(default_factory=dict)
    # Per snapshot and axis, the latest time so far: non-decreasing, so bisectable.
    _keys: dict[str, list[datetime]] = field(default_factory=lambda: {"recorded": [], "occurred": []})
    # Per block of `every` events: the earliest time on each axis and the
    # facilities it holds, so a replay skips blocks wholly after its instant.
    _blocks: list[tuple[dict[str, datetime], set[str]]] = field(default_factory=list)
    # The events of each full block, encoded, one a line, compressed; then the block being filled.
    _sealed: list[bytes] = field(default_factory=list)
    _filling: list[bytes] = field(default_factory=list)

    def extend(self, envelopes: Iterable[Envelope]) -> None:
        running = self._running or Replay(profile_for=self.profile_for, changed=set())
        self._running = running
        for envelope in envelopes:
            running.feed(envelope)
            if self.count % self.every == 0:
                self._blocks.append(({}, set()))
            self.count += 1
            self._filling.append(encode(envelope))  # JSON: never a raw line break inside
            earliest, facilities = self._blocks[-1]
            facilities.add(envelope.facility_id)
            for axis, moment in (("recorded", envelope.recorded_at), ("occurred", envelope.occurred_at)):
                self._latest[axis] = max(self._latest.get(axis, moment), moment)
                earliest[axis] = min(earliest.get(axis, moment), moment)
            if self.count % self.every == 0:
                self._sealed.append(zlib.compress(b"\n".join(self._filling), 1))
                self._filling = []
                self._keep(running, envelope.position)

    def _keep(self, running: Replay, position: int) -> None:
        assert running.changed is not None
        whole = len(self.snapshots) % self.full_every == 0
        snapshot = Snapshot(
            count=self.count,
            position=position,
            changes={key: running.table.get(key) for key in running.changed},
            table=dict(running.table) if whole else None,
            facilities=frozenset(running.facilities),
            folded=running.folded,
            skipped=running.skipped,
            latest=dict(self._latest),
        )
        running.changed = set()
        self.snapshots.append(snapshot)
        for axis in self._keys:
            self._keys[axis].append(snapshot.latest[axis])

    def table_at(self, number: int) -> dict[str, Entry]:
        """The whole table of snapshot `number` (a fresh dict)."""
        whole = number - number % self.full_every
        table = self.snapshots[whole].table
        assert table is not None
        table = dict(table)
        for snapshot in self.snapshots[whole + 1 : number + 1]:
            apply_changes(table, snapshot.changes)
        return table

    def replay(self, at: datetime, by: Order = "recorded") -> Replay:
        """What `Replay(at=at, by=by)` fed every event would hold."""
        usable = bisect_right(self._keys[by], at)
        replay = Replay(at=at, by=by, profile_for=self.profile_for)
        start = 0
        if usable:
            snapshot = self.snapshots[usable - 1]
            replay.table = self.table_at(usable - 1)
            replay.facilities = set(snapshot.facilities)
            replay.read, replay.folded, replay.skipped = snapshot.count, snapshot.folded, snapshot.skipped
            start = snapshot.count
        for block in range(start // self.every, len(self._blocks)):
            begin, end = block * self.every, min(self.count, (block + 1) * self.every)
            earliest, facilities = self._blocks[block]
            if earliest[by] > at:
                # Nothing in it is folded: only counted, as a full replay would.
                replay.read += end - max(begin, start)
                replay.facilities |= facilities
                continue
            for raw in self._events_of(block)[max(begin, start) - begin :]:
                replay.feed(decode(raw))
        return replay

    def _events_of(self, block: int) -> list[bytes]:
        if block < len(self._sealed):
            return zlib.decompress(self._sealed[block]).split(b"\n")
        return self._filling
