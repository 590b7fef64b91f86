"""The fan-out: one board-topic reader per dashboard process feeding every
connected client of every facility.

Frames are encoded once per update (and per unit filter) and the same bytes
go to every client; a client's outbox is bounded, so a slow one is resynced
or dropped without holding up the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from dashboard.facility_board import FacilityBoard, Told
from dashboard.protocol import Resumed, Status, encode_frame
from dashboard.subscriber import Subscriber, Tuning
from events.board import BoardMessage

log = logging.getLogger("edflow.dashboard")


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

    # -- from the board topic -------------------------------------------------

    def receive(self, message: BoardMessage, origin: str) -> None:
        board = self.boards.get(message.facility_id)
        if board is None:
            board = self.boards[message.facility_id] = FacilityBoard(message.facility_id, self.tuning.recent_deltas)
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
        if self.caught_up.is_set() and told in (Told.DELTA, Told.SNAPSHOT, Told.STALE):
            self._tell(board, told)

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
        if told is Told.SNAPSHOT:
            for sub in list(watchers):
                self._send_snapshot(sub, board, replace=True)
            return
        delta = board.recent[-1]
        for sub in list(watchers):
            if not sub.synced:
                self._send_snapshot(sub, board)
            elif not sub.offer(delta.encoded(sub.unit, sub.kinds)):
                self._overflowed(sub, board)

    def _send_snapshot(self, sub: Subscriber, board: FacilityBoard, replace: bool = False) -> None:
        if replace:
            sub.outbox.clear()
        if sub.offer(board.snapshot(sub.unit, sub.kinds)):
            sub.synced = True
            if board.stale_since is not None:
                sub.offer(board.stale_frame())
        else:
            self._overflowed(sub, board)
            sub.synced = True

    def _overflowed(self, sub: Subscriber, board: FacilityBoard) -> None:
        sub.replace_with(board.snapshot(sub.unit, sub.kinds))
        if sub.drop_reason is not None:
            self.unsubscribe(sub)

    # -- from clients ---------------------------------------------------------

    def subscribe(
        self, sub: Subscriber, facility: str, unit: str | None, since: int | None = None, epoch: str | None = None
    ) -> None:
        self.unsubscribe(sub)
        sub.facility, sub.unit, sub.synced = facility, unit, False
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
        for delta in missing:
            if not sub.offer(delta.encoded(unit, sub.kinds)):
                self._overflowed(sub, board)
                break
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
