"""`/ws/hallway`: the hallway screen's live feed, for role `display`.

The same handshake as the board's (an allowed Origin, the `edflow.v1` and
`bearer.<token>` subprotocols); the token must allow `board.hallway` for the
facility. The server pushes the PHI-free hallway view (stay codes, stage,
wait band) whenever it changes, with wait bands judged at the server's clock,
and at least every HEARTBEAT_SECONDS so the screen can tell a quiet
department from a dead feed. The connection ends with the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

from fastapi import WebSocket, WebSocketDisconnect

from base.access import Denied, authorize
from base.settings import Settings
from dashboard.board_socket import MISSING_TOKEN, POLICY_VIOLATION, token_expiry
from dashboard.fanout import Fanout
from dashboard.hallway import hallway_view
from dashboard.protocol import PROTOCOL, BadMessage, check_name, offered_token

log = logging.getLogger("edflow.dashboard")
CHECK_SECONDS = 1.0  # how often the server looks for a changed view
HEARTBEAT_SECONDS = 5.0  # the longest the screen goes without a frame


def _admit(websocket: WebSocket, settings: Settings) -> str:
    """The facility to show; raises ValueError with a reason safe to show."""
    if websocket.headers.get("origin") not in settings.allowed_origins:
        raise ValueError("origin not allowed")
    offered = websocket.scope.get("subprotocols", [])
    if PROTOCOL not in offered:
        raise ValueError(f"offer the {PROTOCOL} subprotocol")
    try:
        facility = check_name("facility", websocket.query_params.get("facility", ""))
        authorize(offered_token(offered), "board.hallway", facility, settings)
    except BadMessage as bad:
        raise ValueError(bad.message) from None
    except Denied as denied:
        raise ValueError(MISSING_TOKEN if denied.check == "missing-token" else denied.message) from None
    return facility


def hallway_frame(key: bytes, fanout: Fanout, facility: str, now: datetime) -> dict:
    """What the screen shows now: waits judged at `now` (never before the board's own time)."""
    board = fanout.boards.get(facility)
    if board is None or board.seq is None:
        return {"type": "hallway", "facility": facility, "as_of": None, "stays": [], "ready": False}
    at = max(now, board.as_of) if board.as_of is not None else now
    stays = hallway_view(key, list(board.entities.values()), at)
    return {"type": "hallway", "facility": facility, "as_of": at.isoformat(), "stays": stays, "ready": True}


async def serve_hallway(websocket: WebSocket, settings: Settings, fanout: Fanout, key: bytes) -> None:
    offered = websocket.scope.get("subprotocols", [])
    try:
        facility = _admit(websocket, settings)
    except ValueError as refusal:
        log.info("hallway connection refused: %s", refusal)
        await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        await websocket.close(code=POLICY_VIOLATION, reason=str(refusal)[:120])
        return
    await websocket.accept(subprotocol=PROTOCOL)
    expires = token_expiry(websocket)
    reader = asyncio.create_task(_until_closed(websocket))
    sent: tuple | None = None
    last_sent = 0.0
    try:
        while not reader.done():
            if time.time() >= expires:
                await websocket.close(code=POLICY_VIOLATION, reason="token expired")
                return
            frame = hallway_frame(key, fanout, facility, datetime.now(UTC))
            shown = (frame["ready"], tuple((s["code"], s["stage"], s["waiting"]) for s in frame["stays"]))
            if shown != sent or time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                await websocket.send_text(json.dumps(frame))
                sent, last_sent = shown, time.monotonic()
            await asyncio.wait({reader}, timeout=CHECK_SECONDS)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return
    finally:
        reader.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    """The screen sends nothing that matters; this notices it leaving."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
