"""The board WebSocket when clients misbehave: slow, silent, confused or not
allowed in. The server keeps serving everyone else."""

from __future__ import annotations

import asyncio
import socket
import time

import jwt
import pytest
import websockets

from base.auth import mint_token
from dashboard.protocol import Delta, Error, Pong, Snapshot, decode_frame, frame_type
from dashboard.subscriber import Tuning
from events.board import EntityChange
from tests.dashboard.conftest import bed, next_frame

pytestmark = pytest.mark.kafka


def big_delta(seq: int) -> list[EntityChange]:
    # ~100 kB per delta: more than the kernel buffers of a client that does not read can absorb.
    return [bed(f"X{n}", "dirty" if seq % 2 else "available", unit="X" * 200) for n in range(400)]


def small_receive_buffer() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


@pytest.mark.parametrize(
    "tuning",
    [Tuning(outbox_frames=16, resyncs_before_drop=2, send_timeout_seconds=3, ping_seconds=30, silent_seconds=90)],
)
async def test_a_client_that_never_reads_is_dropped_and_the_others_keep_receiving(server, board, board_settings, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    slow_token = mint_token(board_settings, "slow-screen", "coordinator", ["demo"])
    sock = small_receive_buffer()
    sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    async with (
        server.connect(token) as fast,
        server.connect(slow_token, max_queue=1, sock=sock, compression=None) as slow,
    ):
        await next_frame(fast)
        slow_sub = next(s for s in server.fanout.watchers["demo"] if s.who == "slow-screen")
        for seq in range(2, 152):
            await board.producer.send(board.topic, _encoded(seq), key=b"demo")
        await board.producer.flush()
        seqs: list[int] = []
        while len(seqs) < 150:
            frame = await next_frame(fast, timeout=30)
            assert isinstance(frame, Delta), f"the fast client was resynced ({frame_type(frame)})"
            seqs.append(frame.seq)
        assert seqs == list(range(2, 152))
        for _ in range(100):  # liveness only: the drop may land just after the last broadcast
            if slow_sub.drop_reason is not None and slow_sub not in server.fanout.watchers["demo"]:
                break
            await asyncio.sleep(0.1)
        assert slow_sub.drop_reason is not None, "a client that never reads must be dropped"
        assert slow_sub not in server.fanout.watchers["demo"]
        del slow  # never read: the point of the test


def _encoded(seq: int) -> bytes:
    from datetime import timedelta

    from events.board import BoardMessage, encode_board
    from tests.dashboard.conftest import T0

    return encode_board(
        BoardMessage(
            facility_id="demo", seq=seq, type="delta", as_of=T0 + timedelta(minutes=seq), changes=big_delta(seq)
        )
    )


async def test_bad_messages_get_an_error_frame_and_the_connection_keeps_serving(server, board, board_settings):
    admin = mint_token(board_settings, "admin-1", "admin", ["*"])
    narrow = mint_token(board_settings, "nurse-2", "charge-nurse", ["demo"])
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    async with server.connect(admin) as ws, server.connect(narrow) as other:
        await next_frame(ws), await next_frame(other)
        answers = {}
        for name, raw in {
            "malformed": "{not json",
            "unknown_type": '{"type": "dance"}',
            "invalid": '{"type": "subscribe", "facility": "no such facility!"}',
            "unknown_facility": '{"type": "subscribe", "facility": "nowhere"}',
            "no_facility": '{"type": "subscribe"}',
            "binary": b"\xff\xfe",
        }.items():
            await ws.send(raw)
            answers[name] = await next_frame(ws)
        await other.send('{"type": "subscribe", "facility": "north"}')
        forbidden = await next_frame(other)
        await ws.send('{"type": "ping", "t": 1.5}')
        pong = await next_frame(ws)
        await board.publish("demo", 2, changes=[bed("A1", "occupied")])
        after, other_after = await next_frame(ws), await next_frame(other)
    assert {name: (type(f), f.code) for name, f in answers.items()} == {
        "malformed": (Error, "malformed"),
        "unknown_type": (Error, "unknown_type"),
        "invalid": (Error, "invalid"),
        "unknown_facility": (Error, "unknown_facility"),
        "no_facility": (Error, "invalid"),
        "binary": (Error, "malformed"),
    }
    assert "nowhere" in answers["unknown_facility"].message
    assert isinstance(forbidden, Error) and forbidden.code == "forbidden"
    assert isinstance(pong, Pong) and pong.t == 1.5
    assert (type(after), after.seq) == (Delta, 2) and (type(other_after), other_after.seq) == (Delta, 2)


def expired_token(settings) -> str:
    now = int(time.time())
    claims = {
        "sub": "nurse-1",
        "role": "charge-nurse",
        "facilities": ["demo"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now - 7200,
        "exp": now - 3600,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def forged_token(settings) -> str:
    now = int(time.time())
    claims = {
        "sub": "mallory",
        "role": "admin",
        "facilities": ["*"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    return jwt.encode(claims, "not-the-site-secret-but-long-enough-0123", algorithm="HS256")


async def test_forged_expired_foreign_and_cross_origin_handshakes_are_closed_with_1008_before_any_data(
    server, board, board_settings, token
):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    attempts = {
        "forged": dict(token=forged_token(board_settings)),
        "expired": dict(token=expired_token(board_settings)),
        "other facility": dict(token=token, facility="south"),
        "cross origin": dict(token=token, origin="https://evil.example"),
        "no token": dict(token=""),
    }
    for name, attempt in attempts.items():
        async with server.connect(**attempt) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                frame = await asyncio.wait_for(ws.recv(), 10)
                pytest.fail(f"{name}: got data before the close: {frame[:80]!r}")
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008, name
    async with server.connect(token) as ws:
        assert isinstance(await next_frame(ws), Snapshot)


@pytest.mark.parametrize("tuning", [Tuning(ping_seconds=0.2, silent_seconds=1.0)])
async def test_server_pings_and_a_silent_client_is_dropped_while_one_that_answers_stays(server, board, token):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    async with server.connect(token) as silent, server.connect(token) as alive:
        closed_with = None
        pings = 0
        deadline = asyncio.get_running_loop().time() + 10
        while closed_with is None and asyncio.get_running_loop().time() < deadline:
            try:
                raw = await asyncio.wait_for(silent.recv(), 0.3)
                pings += frame_type(decode_frame(raw)) == "ping"
            except websockets.ConnectionClosed as closed:
                closed_with = closed.rcvd
            except TimeoutError:
                pass
            while True:  # the live client answers every ping
                try:
                    frame = decode_frame(await asyncio.wait_for(alive.recv(), 0.01))
                except TimeoutError:
                    break
                if frame_type(frame) == "ping":
                    await alive.send('{"type": "pong"}')
        assert pings >= 2
        assert closed_with is not None and closed_with.code == 1013 and "heartbeat" in closed_with.reason
        await board.publish("demo", 2, changes=[bed("A1", "dirty")])
        assert (await next_frame(alive)).seq == 2


async def test_the_connection_ends_with_1008_when_the_token_expires(server, board, board_settings):
    await board.publish("demo", 1, "snapshot", [bed("A1", "available")])
    short = mint_token(board_settings, "nurse-1", "charge-nurse", ["demo"], ttl_seconds=2)
    async with server.connect(short) as ws:
        assert isinstance(await next_frame(ws), Snapshot)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 15)
    received = closed.value.rcvd
    assert received is not None and received.code == 1008 and received.reason == "token expired"
