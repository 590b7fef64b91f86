"""One facility's board as the dashboard holds it: the entity map, the last
sequence number, the recent deltas a reconnecting client can resume from, and
the census/waiting history behind the sparklines.

Pure bookkeeping, no I/O: `apply` says what clients must be told, and encoded
frames are cached so each update is serialised once for all clients.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from dashboard.protocol import Delta, Snapshot, Stale, encode_frame, for_view
from events.board import BoardMessage, CapacityChange, EntityChange, removed

HISTORY_SPAN = timedelta(hours=24)
HISTORY_STEP = timedelta(minutes=1)


class Told(Enum):
    NOTHING = "nothing"  # a repeat or a delta we cannot use
    DELTA = "delta"  # broadcast the new delta
    SNAPSHOT = "snapshot"  # every client gets a fresh snapshot
    STALE = "stale"  # tell clients the board stopped being complete
    UNUSABLE = "unusable"  # no board to apply this to: a snapshot is needed


@dataclass
class DeltaFrame:
    facility: str
    seq: int
    epoch: str
    as_of: datetime | None
    changes: list[EntityChange]
    _encoded: dict[tuple[str | None, frozenset[str] | None], bytes] = field(default_factory=dict)

    def encoded(self, unit: str | None, kinds: frozenset[str] | None = None) -> bytes:
        """Encoded once per view (unit filter, entity kinds), shared by every client with that view."""
        raw = self._encoded.get((unit, kinds))
        if raw is None:
            frame = Delta(
                facility=self.facility,
                seq=self.seq,
                epoch=self.epoch,
                as_of=self.as_of,
                changes=for_view(self.changes, unit, kinds),
            )
            raw = self._encoded[(unit, kinds)] = encode_frame(frame)
        return raw


class FacilityBoard:
    def __init__(self, facility_id: str, recent_deltas: int = 512):
        self.facility_id = facility_id
        self.entities: dict[tuple[str, str], EntityChange] = {}
        self.seq: int | None = None  # None until the first snapshot
        self.epoch = ""
        self.as_of: datetime | None = None
        self.stale_since: datetime | None = None
        self.time_zone: str | None = None  # the facility's, as the worker last said it
        self.recent: deque[DeltaFrame] = deque(maxlen=recent_deltas)
        self.history: deque[tuple[datetime, int, int]] = deque()
        self._snapshots: dict[tuple[str | None, frozenset[str] | None], bytes] = {}

    @property
    def usable(self) -> bool:
        return self.seq is not None

    def apply(self, message: BoardMessage, origin: str, now: datetime) -> Told:
        """Fold one board message in. `origin` names where it was read
        (partition:offset) and becomes the epoch of a new chain."""
        if message.time_zone is not None and message.time_zone != self.time_zone:
            self.time_zone = message.time_zone
            self._snapshots.clear()
        if message.type == "snapshot":
            return self._apply_snapshot(message, origin)
        if self.seq is None and message.seq == 1:
            # A facility's stream starts at seq 1 from an empty board (seq 0).
            self.seq, self.epoch = 0, origin
            self.apply(message, origin, now)
            return Told.SNAPSHOT
        if self.seq is None or self.stale_since is not None:
            return Told.UNUSABLE  # nothing to apply it to: wait for a snapshot
        if message.seq <= self.seq:
            return Told.NOTHING  # a repeat
        if message.seq != self.seq + 1:
            self.stale_since = now
            self.recent.clear()
            self._snapshots.clear()
            return Told.STALE
        self.seq, self.as_of = message.seq, message.as_of
        self._fold(message.changes)
        self.recent.append(DeltaFrame(self.facility_id, message.seq, self.epoch, message.as_of, list(message.changes)))
        self._snapshots.clear()
        return Told.DELTA

    def _apply_snapshot(self, message: BoardMessage, origin: str) -> Told:
        fresh: dict[tuple[str, str], EntityChange] = {(c.kind, c.id): c for c in message.changes if c.value is not None}
        held = self.seq
        continues = held is not None and self.stale_since is None and message.seq in (held, held + 1)
        drift = [c for key, c in fresh.items() if self.entities.get(key) != c]
        drift += [removed(change) for key, change in self.entities.items() if key not in fresh]
        self.entities = fresh
        self._snapshots.clear()
        for change in message.changes:
            self._remember_capacity(change, message.as_of)
        if continues and held is not None and message.seq == held + 1:
            # A periodic snapshot that follows the last delta: clients only need
            # what differs (normally nothing) under the snapshot's number.
            self.seq, self.as_of = message.seq, message.as_of
            self.recent.append(DeltaFrame(self.facility_id, message.seq, self.epoch, message.as_of, drift))
            return Told.DELTA
        if continues and not drift:
            self.as_of = message.as_of
            return Told.NOTHING
        self.seq, self.as_of, self.epoch = message.seq, message.as_of, origin
        self.stale_since = None
        self.recent.clear()
        return Told.SNAPSHOT

    def _fold(self, changes: list[EntityChange]) -> None:
        for change in changes:
            if change.value is None:
                self.entities.pop((change.kind, change.id), None)
            else:
                self.entities[(change.kind, change.id)] = change
                self._remember_capacity(change, self.as_of)

    def _remember_capacity(self, change: EntityChange, as_of: datetime | None) -> None:
        if not isinstance(change, CapacityChange) or change.value is None or as_of is None:
            return
        point = (as_of, change.value.census, change.value.waiting)
        # Event time can step back (a feed backfilling earlier hours): the
        # line then follows the events from that time on.
        while self.history and self.history[-1][0] > as_of:
            self.history.pop()
        if self.history and as_of - self.history[-1][0] < HISTORY_STEP:
            self.history[-1] = (self.history[-1][0], point[1], point[2])
            return
        self.history.append(point)
        while self.history and as_of - self.history[0][0] > HISTORY_SPAN:
            self.history.popleft()

    def snapshot(self, unit: str | None, kinds: frozenset[str] | None = None) -> bytes:
        raw = self._snapshots.get((unit, kinds))
        if raw is None:
            changes = [c for c in for_view(list(self.entities.values()), unit, kinds) if c.value is not None]
            frame = Snapshot(
                facility=self.facility_id,
                unit=unit,
                seq=self.seq or 0,
                epoch=self.epoch,
                as_of=self.as_of,
                stale_since=self.stale_since,
                changes=changes,
                time_zone=self.time_zone,
            )
            raw = self._snapshots[(unit, kinds)] = encode_frame(frame)
        return raw

    def stale_frame(self) -> bytes:
        assert self.stale_since is not None
        return encode_frame(Stale(facility=self.facility_id, seq=self.seq or 0, since=self.stale_since))

    def deltas_after(self, since: int, epoch: str | None) -> list[DeltaFrame] | None:
        """The deltas a client holding `since` misses, or None when it needs a
        snapshot (another epoch, too far behind, ahead of us, or stale)."""
        if self.seq is None or self.stale_since is not None or epoch != self.epoch or since > self.seq:
            return None
        if since == self.seq:
            return []
        missing = [frame for frame in self.recent if frame.seq > since]
        if not missing or missing[0].seq != since + 1:
            return None
        return missing
