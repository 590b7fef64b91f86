"""The fan-out: one board-topic reader per dashboard process feeding every
connected client of every facility.

A facility's deltas go out at most about once a tick (`Tuning.tick_seconds`),
those that arrived meanwhile together: one `delta` frame, or one `deltas`
frame when there are several. A quiet board's delta leaves at once; a busy
one's wait for the tick. Each frame is encoded once per view (unit filter and the entity kinds
of the role) and the same bytes go to every client with that view; a
client's outbox is bounded, so a slow one is resynced or dropped without
holding up the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from dashboard.facility_board import DeltaFrame, FacilityBoard, Told
from dashboard.protocol import Resumed, Status, encode_frame, join_deltas
from dashboard.subscriber import Subscriber, Tuning
from events.board import BoardMessage

log = logging.getLogger("edflow.dashboard")
View = tuple[str | None, frozenset[str] | None]


class Fanout:
    def __init__(self, tuning: Tuning | None = None):
        self.tuning = tuning or Tuning()
        self.boards: dict[str, FacilityBoard] = {}
        self.watchers: dict[str, set[Subscriber]] = {}
        self.connected: set[Subscriber] = set()
        # Set once the reader has caught up with the topic as it stood at
        # start: until then clients wait rather than watch the replay.
        self.caught_up = asyncio.Event()
        # Called with a facility id when its board needs a snapshot (a gap, or
        # deltas with nothing before them); the board feed asks the worker.
        self.want_snapshot: Callable[[str], None] = lambda facility: None
        # Facility -> the first seq of the deltas held for the next tick.
        self.held: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        # Facility -> (frames it may send now, when that was counted): one
        # more each tick, up to `Tuning.burst_frames`. A stream as fast as the
        # tick goes out as it comes; a late frame does not delay the ones after it.
        self._allowance: dict[str, tuple[float, float]] = {}

    # -- from the board topic -------------------------------------------------

    def receive(self, message: BoardMessage, origin: str) -> None:
        board = self.boards.get(message.facility_id)
        if board is None:
            board = self.boards[message.facility_id] = FacilityBoard(message.facility_id, self.tuning.recent_deltas)
        follows = message.type == "delta" and board.seq is not None and message.seq == board.seq + 1
        if message.facility_id in self.held and not follows:
            self.flush(message.facility_id)  # clients get the held deltas before whatever this does
        told = board.apply(message, origin, datetime.now(UTC))
        if told is Told.STALE:
            log.warning(
                "board stream gap for facility %s after seq %s (got %s); stale until the next snapshot",
                message.facility_id,
                board.seq,
                message.seq,
            )
        if told in (Told.STALE, Told.UNUSABLE):
            self.want_snapshot(message.facility_id)
        if not self.caught_up.is_set():
            return
        if told is Told.DELTA:
            self._hold(board)
        elif told in (Told.SNAPSHOT, Told.STALE):
            self._tell(board, told)

    def _hold(self, board: FacilityBoard) -> None:
        facility = board.facility_id
        if facility in self.held:
            return
        self.held[facility] = board.seq or 0
        delay = max(0.0, 1.0 - self._frames_allowed(facility)) * self.tuning.tick_seconds
        # Even without delay, after the rest of the batch being read: it joins this frame.
        self._timers[facility] = asyncio.get_running_loop().call_later(delay, self.flush, facility)

    def flush(self, facility: str | None = None) -> None:
        """Send the deltas held for `facility` (for every facility when None) now."""
        for name in list(self.held) if facility is None else [facility]:
            first = self.held.pop(name, None)
            timer = self._timers.pop(name, None)
            if timer is not None:
                timer.cancel()
            if first is not None:
                self._allowance[name] = (self._frames_allowed(name) - 1.0, time.monotonic())
                self._tell_deltas(self.boards[name], first)

    def _frames_allowed(self, facility: str) -> float:
        burst = float(self.tuning.burst_frames)
        allowed, counted = self._allowance.get(facility, (burst, 0.0))
        tick = max(self.tuning.tick_seconds, 1e-9)
        return min(burst, allowed + (time.monotonic() - counted) / tick)

    def _tell_deltas(self, board: FacilityBoard, first: int) -> None:
        frames: list[DeltaFrame] = []
        for frame in reversed(board.recent):
            if frame.seq < first:
                break
            frames.append(frame)
        frames.reverse()
        watchers = self.watchers.get(board.facility_id, ())
        if not frames or frames[0].seq != first:
            # More deltas in one tick than the recent buffer keeps: the board itself is shorter.
            for sub in list(watchers):
                self._send_snapshot(sub, board, replace=True)
            return
        shared: dict[View, list[bytes]] = {}
        for sub in list(watchers):
            if not sub.synced:
                self._send_snapshot(sub, board)
                continue
            if sub.seq is not None and sub.seq >= first:
                # Synced within this tick: it already holds the board up to its own seq.
                payloads = self._payloads(board, [f for f in frames if f.seq > sub.seq], sub)
            else:
                view = (sub.unit, sub.kinds)
                payloads = shared.get(view) or shared.setdefault(view, self._payloads(board, frames, sub))
            self._offer_all(sub, board, payloads, frames[-1].seq)

    def _payloads(self, board: FacilityBoard, frames: list[DeltaFrame], sub: Subscriber) -> list[bytes]:
        """The frames as this subscriber's view sees them, `deltas_per_frame` to a frame."""
        size = max(1, self.tuning.deltas_per_frame)
        return [
            join_deltas(board.facility_id, [f.encoded(sub.unit, sub.kinds) for f in frames[start : start + size]])
            for start in range(0, len(frames), size)
        ]

    def _offer_all(self, sub: Subscriber, board: FacilityBoard, payloads: list[bytes], seq: int) -> None:
        for payload in payloads:
            if not sub.offer(payload):
                self._overflowed(sub, board)
                return
        sub.seq = seq

    def mark_caught_up(self) -> None:
        if self.caught_up.is_set():
            return
        self.caught_up.set()
        for facility, watchers in self.watchers.items():
            board = self.boards.get(facility)
            for sub in list(watchers):
                if sub.synced:
                    continue
                if board is not None and board.usable:
                    self._send_snapshot(sub, board)
                else:
                    sub.offer(self._no_board_yet(facility))

    def _tell(self, board: FacilityBoard, told: Told) -> None:
        watchers = self.watchers.get(board.facility_id, ())
        if told is Told.STALE:
            frame = board.stale_frame()
            for sub in list(watchers):
                sub.offer(frame)
            return
        for sub in list(watchers):
            self._send_snapshot(sub, board, replace=True)

    def _send_snapshot(self, sub: Subscriber, board: FacilityBoard, replace: bool = False) -> None:
        if replace:
            sub.outbox.clear()
        sub.seq = board.seq
        if sub.offer(board.snapshot(sub.unit, sub.kinds)):
            sub.synced = True
            if board.stale_since is not None:
                sub.offer(board.stale_frame())
        else:
            self._overflowed(sub, board)
            sub.synced = True

    def _overflowed(self, sub: Subscriber, board: FacilityBoard) -> None:
        sub.replace_with(board.snapshot(sub.unit, sub.kinds))
        sub.seq = board.seq
        if sub.drop_reason is not None:
            self.unsubscribe(sub)

    # -- from clients ---------------------------------------------------------

    def subscribe(
        self, sub: Subscriber, facility: str, unit: str | None, since: int | None = None, epoch: str | None = None
    ) -> None:
        self.unsubscribe(sub)
        sub.facility, sub.unit, sub.synced, sub.seq = facility, unit, False, None
        self.watchers.setdefault(facility, set()).add(sub)
        board = self.boards.get(facility)
        if not self.caught_up.is_set():
            sub.offer(
                encode_frame(Status(facility=facility, state="waiting", message="catching up with the board stream"))
            )
            return  # the snapshot follows from mark_caught_up
        if board is None or not board.usable:
            sub.offer(self._no_board_yet(facility))
            return
        missing = None if since is None else board.deltas_after(since, epoch)
        if since is None or missing is None:
            self._send_snapshot(sub, board)
            return
        sub.offer(encode_frame(Resumed(facility=facility, since=since, seq=board.seq or 0, epoch=board.epoch)))
        sub.seq = since
        self._offer_all(sub, board, self._payloads(board, missing, sub), board.seq or 0)
        sub.synced = True

    @staticmethod
    def _no_board_yet(facility: str) -> bytes:
        return encode_frame(
            Status(
                facility=facility,
                state="waiting",
                message=f"no board for facility {facility} yet; waiting for its first snapshot",
            )
        )

    def resync(self, sub: Subscriber) -> None:
        if sub.facility is not None:
            self.subscribe(sub, sub.facility, sub.unit)

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub.facility is not None:
            self.watchers.get(sub.facility, set()).discard(sub)

    def knows(self, facility: str) -> bool:
        board = self.boards.get(facility)
        return board is not None and board.usable

    def facilities(self) -> list[str]:
        return sorted(f for f, board in self.boards.items() if board.usable)
