"""A board client for the fault harness: one WebSocket connection to the
board (`/ws/board`, protocol `edflow.v1`) kept open through every fault,
moved to the other server when its server dies and resumed there with its
last seq and epoch. It applies frames as a strict client does and records
each one (time, type, seq, epoch), every gap it saw and when a snapshot
healed it."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
import websockets
from websockets.typing import Origin, Subprotocol

from dashboard.protocol import PROTOCOL, Delta, Deltas, Ping, Pong, Resumed, Resync, Snapshot, Stale, decode_frame

Board = dict[tuple[str, str], Any]


@dataclass
class Gap:
    at: float
    held: tuple[int, str]
    got: str  # what arrived: "delta 17/epoch", "stale", "resumed ..."
    healed_at: float | None = None


@dataclass
class BoardRecord:
    frames: list[tuple[float, str, int, str]] = field(default_factory=list)  # (time, type, seq, epoch)
    gaps: list[Gap] = field(default_factory=list)
    connects: int = 0
    seq: int = 0
    epoch: str = ""
    entities: Board = field(default_factory=dict)

    def moves(self) -> list[float]:
        """When the board the client shows changed (a snapshot or a delta arrived)."""
        return [at for at, kind, _, _ in self.frames if kind in ("snapshot", "delta")]


def connect(url: str, facility: str, token: str, origin: str, **query: int | str) -> Any:
    params = "&".join(f"{k}={v}" for k, v in {"facility": facility, **query}.items())
    return websockets.connect(
        url.replace("http://", "ws://") + f"/ws/board?{params}",
        origin=Origin(origin),
        subprotocols=[Subprotocol(PROTOCOL), Subprotocol(f"bearer.{token}")],
        open_timeout=5,
        max_size=None,
    )


async def fresh_snapshot(url: str, facility: str, token: str, origin: str, timeout: float = 10) -> Snapshot | None:
    """The board a server holds now: the snapshot a new client is sent first."""
    try:
        async with connect(url, facility, token, origin) as ws:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                frame = decode_frame(await asyncio.wait_for(ws.recv(), timeout))
                if isinstance(frame, Snapshot):
                    return frame
    except (OSError, TimeoutError, websockets.WebSocketException):
        return None
    return None


def board_of(frame: Snapshot) -> Board:
    return {(c.kind, c.id): c.value for c in frame.changes if c.value is not None}


class BoardWatch:
    """The client, in a thread of its own with its own event loop."""

    def __init__(self, urls: list[str], facility: str, token: str, origin: str):
        self.urls, self.facility, self.token, self.origin = urls, facility, token, origin
        self.record = BoardRecord()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="chaos-board", daemon=True)

    def start(self) -> BoardWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    async def _run(self) -> None:
        server = 0
        while not self._stop.is_set():
            query: dict[str, int | str] = {}
            if self.record.epoch:
                query = {"since": self.record.seq, "epoch": self.record.epoch}
            try:
                async with connect(self.urls[server], self.facility, self.token, self.origin, **query) as ws:
                    self.record.connects += 1
                    await self._read(ws)
            except (OSError, TimeoutError, websockets.WebSocketException):
                pass
            if not self._stop.is_set():
                server = (server + 1) % len(self.urls)
                await asyncio.sleep(0.2)

    async def _read(self, ws: Any) -> None:
        while not self._stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            frame = decode_frame(raw)
            if isinstance(frame, Ping):
                await ws.send(msgspec.json.encode(Pong(t=frame.t)))
                continue
            # A `deltas` frame is its deltas, applied in order.
            for one in frame.deltas if isinstance(frame, Deltas) else [frame]:
                if self._apply(one):
                    await ws.send(msgspec.json.encode(Resync()))
                    break

    def _apply(self, frame: Any) -> bool:
        """Apply one frame; True when the client must ask for a fresh snapshot."""
        record, now = self.record, time.monotonic()
        kind = str(getattr(frame, "type", type(frame).__name__.lower()))
        record.frames.append((now, kind, getattr(frame, "seq", 0), getattr(frame, "epoch", "")))
        open_gap = record.gaps and record.gaps[-1].healed_at is None
        if isinstance(frame, Snapshot):
            record.seq, record.epoch, record.entities = frame.seq, frame.epoch, board_of(frame)
            for gap in record.gaps:
                gap.healed_at = gap.healed_at or now
            return False
        if isinstance(frame, Resumed):
            if (frame.since, frame.epoch) != (record.seq, record.epoch):
                return self._gap(now, f"resumed since {frame.since} epoch {frame.epoch}")
            return False
        if isinstance(frame, Stale):
            return self._gap(now, "stale")
        if isinstance(frame, Delta):
            if open_gap:
                return False  # waiting for the snapshot that heals it
            if (frame.seq, frame.epoch) != (record.seq + 1, record.epoch):
                return self._gap(now, f"delta {frame.seq} epoch {frame.epoch}")
            record.seq = frame.seq
            for change in frame.changes:
                if change.value is None:
                    record.entities.pop((change.kind, change.id), None)
                else:
                    record.entities[change.kind, change.id] = change.value
        return False

    def _gap(self, now: float, got: str) -> bool:
        self.record.gaps.append(Gap(now, (self.record.seq, self.record.epoch), got))
        return True
