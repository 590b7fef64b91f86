"""`/ws/board`: one WebSocket per board client.

Handshake: the token travels as the `bearer.<token>` subprotocol next to
`edflow.v1` (browsers cannot set headers on a WebSocket), and the Origin must
be one the site allows. Any failure closes with 1008 before a single frame.
Then two tasks per client: read its messages, drain its outbox; either
ending, or the watchdog dropping the client, ends the connection.

Each subscription (the first, and each `subscribe` that changes it) is handed
to the access audit the server was given, once before the board is sent and
once when it ends, so watching the board is on record like any other read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

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
INTERNAL_ERROR = 1011
MISSING_TOKEN = "missing token: offer bearer.<token> as a subprotocol"


class Refused(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class BoardWatch:
    """One board subscription as the access audit records it."""

    id: str  # pairs the record of its start with the record of its end
    subject: str
    role: str
    facility: str
    unit: str | None
    view: str  # "full board", or the kinds of entity the role is shown
    client: str
    started_at: datetime
    ended_at: datetime | None = None


BoardAudit = Callable[[BoardWatch], None]  # blocking; saves the record before returning


class Watching:
    """The audit trail of one connection's subscriptions."""

    def __init__(self, audit: BoardAudit | None, principal: Principal, client: str):
        self.audit, self.principal, self.client = audit, principal, client
        kinds = board_kinds(principal.role)
        self.view = "full board" if kinds is None else ",".join(sorted(kinds))
        self.current: BoardWatch | None = None

    async def start(self, facility: str, unit: str | None) -> None:
        """Record a new subscription (raises if it cannot be recorded), then end the one it replaces."""
        watch = BoardWatch(uuid.uuid4().hex, self.principal.subject, self.principal.role, facility, unit,
                           self.view, self.client, datetime.now(UTC))  # fmt: skip
        await self._record(watch)
        previous, self.current = self.current, watch
        if previous is not None:
            await self._end(previous)

    async def end(self) -> None:
        if self.current is not None:
            previous, self.current = self.current, None
            await self._end(previous)

    async def _end(self, watch: BoardWatch) -> None:
        try:
            await self._record(dataclasses.replace(watch, ended_at=datetime.now(UTC)))
        except Exception:
            log.exception("the end of board subscription %s could not be recorded", watch.id)

    async def _record(self, watch: BoardWatch) -> None:
        if self.audit is not None:
            # Shielded: a connection cancelled mid-write still finishes the record.
            await asyncio.shield(asyncio.to_thread(self.audit, watch))


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


async def serve_board(
    websocket: WebSocket, settings: Settings, fanout: Fanout, audit: BoardAudit | None = None
) -> None:
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
    watching = Watching(audit, principal, websocket.client.host if websocket.client else "")
    try:
        await watching.start(facility, unit)
    except Exception:
        log.exception("board subscription of %s could not be recorded; closing", principal.subject)
        await websocket.close(code=INTERNAL_ERROR, reason="the access audit is unavailable")
        return
    sub = Subscriber(principal.subject, fanout.tuning, token_expiry(websocket), board_kinds(principal.role))
    fanout.connected.add(sub)
    fanout.subscribe(sub, facility, unit, since, epoch)
    tasks = [
        asyncio.create_task(coro)
        for coro in (_read(websocket, sub, principal, fanout, watching), _drain(websocket, sub), sub.dropped.wait())
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        fanout.unsubscribe(sub)
        fanout.connected.discard(sub)
        await watching.end()
        if sub.drop_reason and websocket.client_state is WebSocketState.CONNECTED:
            log.info("board client %s dropped: %s", sub.who, sub.drop_reason)
            try:
                await asyncio.wait_for(websocket.close(code=sub.close_code, reason=sub.drop_reason[:120]), 1.0)
            except (TimeoutError, RuntimeError, OSError):
                pass  # the client is gone or not reading; the server closes the socket


async def _read(
    websocket: WebSocket, sub: Subscriber, principal: Principal, fanout: Fanout, watching: Watching
) -> None:
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
                try:
                    await watching.start(request.facility, request.unit)
                except Exception:
                    log.exception("board subscription of %s could not be recorded", principal.subject)
                    why = "the access audit is unavailable; subscription unchanged"
                    sub.offer(encode_frame(Error(code="unavailable", message=why)))
                    continue
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
