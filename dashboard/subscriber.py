"""One connected board client: its subscription and a bounded outbox.

The fan-out never awaits a client. It drops encoded frames into the outbox;
the client's own sender task drains it. A client that falls a whole outbox
behind has its outbox replaced by one fresh snapshot (it resyncs instead of
stalling anyone), and one that keeps falling behind is dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """How the fan-out treats clients; the defaults suit a hospital LAN."""

    outbox_frames: int = 256  # frames a client may be behind before a resync
    resyncs_before_drop: int = 3  # overflows within `resync_window` before dropping
    resync_window_seconds: float = 60.0
    ping_seconds: float = 15.0  # server heartbeat
    silent_seconds: float = 45.0  # no frame from the client for this long = dead
    send_timeout_seconds: float = 20.0  # one frame that cannot be written = dead
    recent_deltas: int = 512  # how far back a reconnect can resume
    # A facility sends about one frame a tick, with the deltas that arrived
    # since in it: a quiet board's delta leaves at once, a busy one's wait.
    tick_seconds: float = 0.02  # EDFLOW_BOARD_TICK_SECONDS
    burst_frames: int = 2  # frames a facility may send back to back after a quiet spell
    deltas_per_frame: int = 32  # a longer run of deltas (a catch-up) is split


class Subscriber:
    def __init__(
        self,
        principal_subject: str,
        tuning: Tuning,
        token_expires_at: float = float("inf"),
        kinds: frozenset[str] | None = None,
    ):
        self.who = principal_subject
        self.kinds = kinds  # entity kinds this client's role may see; None = all
        self.token_expires_at = token_expires_at  # wall-clock seconds, from the token's exp
        self.tuning = tuning
        self.facility: str | None = None
        self.unit: str | None = None
        self.synced = False  # has had a snapshot (or a resume) for its facility
        self.seq: int | None = None  # the last seq queued to it (a snapshot's, a resume's or a delta's)
        self.outbox: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.last_heard = self.last_pinged = time.monotonic()
        self.sending_since: float | None = None  # set while a frame is being written
        self.drop_reason: str | None = None
        self.close_code = 1013
        self.dropped = asyncio.Event()
        self.resyncs: deque[float] = deque()
        self.delivered = 0

    def offer(self, frame: bytes) -> bool:
        """Queue a frame; False when the outbox is full (the caller resyncs)."""
        if len(self.outbox) >= self.tuning.outbox_frames:
            return False
        self.outbox.append(frame)
        self.wake.set()
        return True

    def replace_with(self, snapshot: bytes) -> None:
        """Overflow: forget what was queued, send the current board instead."""
        now = time.monotonic()
        self.resyncs.append(now)
        while self.resyncs and now - self.resyncs[0] > self.tuning.resync_window_seconds:
            self.resyncs.popleft()
        if len(self.resyncs) > self.tuning.resyncs_before_drop:
            self.drop("too slow: fell behind the board repeatedly")
            return
        self.outbox.clear()
        self.outbox.append(snapshot)
        self.wake.set()

    def drop(self, reason: str, close_code: int = 1013) -> None:
        """End the connection: 1013 (try again later) for a client that can
        reconnect, 1008 (policy) for one that must sign in again."""
        self.drop_reason, self.close_code = reason, close_code
        self.outbox.clear()
        self.wake.set()
        self.dropped.set()

    def heard(self) -> None:
        self.last_heard = self.last_pinged = time.monotonic()
        self.sending_since = None
