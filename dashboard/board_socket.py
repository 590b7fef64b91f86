"""`/ws/board`: one WebSocket per board client.

Handshake: the token travels as the `bearer.<token>` subprotocol next to
`edflow.v1` (browsers cannot set headers on a WebSocket), and the Origin must
be one the site allows. Any failure closes with 1008 before a single frame.
Then two tasks per client: read its messages, drain its outbox; either
ending, or the watchdog dropping the client, ends the connection.
"""

from __future__ import annotations

import asyncio
import logging
import time

import jwt
from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from base.access import Denied, authorize
from base.auth import Principal
from base.permissions import board_kinds
from base.settings import Settings
from dashboard.fanout import Fanout
from dashboard.protocol import (
    PROTOCOL,
    BadMessage,
    Error,
    Ping,
    Pong,
    Resync,
    Subscribe,
    check_name,
    decode_client_message,
    encode_frame,
    offered_token,
)
from dashboard.subscriber import Subscriber

log = logging.getLogger("edflow.dashboard")
POLICY_VIOLATION = 1008
MISSING_TOKEN = "missing token: offer bearer.<token> as a subprotocol"


class Refused(Exception):
    pass


def admit(websocket: WebSocket, settings: Settings) -> tuple[Principal, str, str | None, int | None, str | None]:
    """Who is connecting, to what; raises Refused with a reason safe to show."""
    origin = websocket.headers.get("origin")
    if origin not in settings.allowed_origins:
        raise Refused("origin not allowed")
    offered = websocket.scope.get("subprotocols", [])
    if PROTOCOL not in offered:
        raise Refused(f"offer the {PROTOCOL} subprotocol")
    query = websocket.query_params
    facility = query.get("facility", "")
    try:
        principal = authorize(offered_token(offered), "board.watch", facility, settings)
    except Denied as denied:
        # The token travels as a subprotocol here, not in a header.
        raise Refused(MISSING_TOKEN if denied.check == "missing-token" else denied.message) from None
    try:
        unit = check_name("unit", query["unit"]) if query.get("unit") else None
        since = int(query["since"]) if query.get("since") else None
    except (BadMessage, ValueError) as error:
        raise Refused(str(error)[:100]) from None
    return principal, facility, unit, since, query.get("epoch") or None


def token_expiry(websocket: WebSocket) -> float:
    """The verified token's `exp`: the connection ends with the token."""
    token = offered_token(websocket.scope.get("subprotocols", [])) or ""
    claims = jwt.decode(token, options={"verify_signature": False})  # verified in admit()
    return float(claims.get("exp", "inf"))


async def serve_board(websocket: WebSocket, settings: Settings, fanout: Fanout) -> None:
    try:
        principal, facility, unit, since, epoch = admit(websocket, settings)
    except Refused as refusal:
        log.info("board connection refused: %s", refusal)
        # Accept only to say why: a close before accept would read as a bare 403.
        offered = websocket.scope.get("subprotocols", [])
        await websocket.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
        await websocket.close(code=POLICY_VIOLATION, reason=str(refusal)[:120])
        return
    await websocket.accept(subprotocol=PROTOCOL)
    sub = Subscriber(principal.subject, fanout.tuning, token_expiry(websocket), board_kinds(principal.role))
    fanout.connected.add(sub)
    fanout.subscribe(sub, facility, unit, since, epoch)
    tasks = [
        asyncio.create_task(coro)
        for coro in (_read(websocket, sub, principal, fanout), _drain(websocket, sub), sub.dropped.wait())
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        fanout.unsubscribe(sub)
        fanout.connected.discard(sub)
        if sub.drop_reason and websocket.client_state is WebSocketState.CONNECTED:
            log.info("board client %s dropped: %s", sub.who, sub.drop_reason)
            try:
                await asyncio.wait_for(websocket.close(code=sub.close_code, reason=sub.drop_reason[:120]), 1.0)
            except (TimeoutError, RuntimeError, OSError):
                pass  # the client is gone or not reading; the server closes the socket


async def _read(websocket: WebSocket, sub: Subscriber, principal: Principal, fanout: Fanout) -> None:
    while True:
        try:
            message = await websocket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        sub.heard()
        raw = message.get("text") if message.get("text") is not None else message.get("bytes")
        try:
            request = decode_client_message(raw or b"")
        except BadMessage as bad:
            sub.offer(encode_frame(Error(code=bad.code, message=bad.message)))
            continue
        if isinstance(request, Ping):
            sub.offer(encode_frame(Pong(t=request.t)))
        elif isinstance(request, Resync):
            fanout.resync(sub)
        elif isinstance(request, Subscribe):
            if not principal.may_act_for(request.facility):
                sub.offer(
                    encode_frame(Error(code="forbidden", message=f"token not valid for facility {request.facility}"))
                )
            elif not fanout.knows(request.facility):
                sub.offer(
                    encode_frame(
                        Error(
                            code="unknown_facility",
                            message=f"no board for facility {request.facility}; subscription unchanged",
                        )
                    )
                )
            else:
                fanout.subscribe(sub, request.facility, request.unit, request.since, request.epoch)
        # Pong: being heard is all it is for.


async def _drain(websocket: WebSocket, sub: Subscriber) -> None:
    while sub.drop_reason is None:
        if not sub.outbox:
            sub.wake.clear()
            await sub.wake.wait()
            continue
        frame = sub.outbox.popleft()
        sub.sending_since = time.monotonic()  # the watchdog drops a client stuck here
        try:
            await websocket.send_bytes(frame)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        sub.sending_since = None
        sub.delivered += 1
