"""Frames sent back to back on one connection, without waiting for ACKs, are
applied in order and acknowledged in order; several connections doing so at
once are all answered, each in its own order."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from tests.services.hl7.conftest import ack_code, frame, sample, segments

A04 = sample("ms-fhir-converter__ADT-A04-01.hl7")


def registration(tag: str, n: int) -> bytes:
    return A04.replace(b"40007716", f"{tag}V{n}".encode()).replace(b"MSG00001", f"{tag}C{n}".encode())


def pipeline(port: int, messages: list[bytes]) -> list[bytes]:
    """All frames in one write, then every reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"".join(frame(m) for m in messages))
        received = b""
        while received.count(b"\x1c\r") < len(messages):
            chunk = sock.recv(65536)
            assert chunk, "the listener closed the connection before answering every frame"
            received += chunk
    return [r.split(b"\x1c")[0] for r in received.split(b"\x0b") if r.strip()]


def test_pipelined_frames_are_acknowledged_in_the_order_sent(running):
    messages = [registration("P", n) for n in range(6)] + [registration("P", 2)]  # the last repeats one
    replies = pipeline(running.port, messages)
    assert [segments(r, "MSA")[0][2] for r in replies] == [f"PC{n}" for n in (0, 1, 2, 3, 4, 5, 2)]
    assert [ack_code(r) for r in replies] == ["AA"] * 7
    assert replies[6].split(b"\r")[1:] == replies[2].split(b"\r")[1:]  # the repeat gets the first ACK


def test_connections_pipelining_at_once_are_each_answered_in_their_own_order(running):
    def one_connection(c: int) -> list[str]:
        replies = pipeline(running.port, [registration(f"K{c}", n) for n in range(5)])
        assert [ack_code(r) for r in replies] == ["AA"] * 5
        return [segments(r, "MSA")[0][2] for r in replies]

    with ThreadPoolExecutor(6) as pool:
        orders = list(pool.map(one_connection, range(6)))
    assert orders == [[f"K{c}C{n}" for n in range(5)] for c in range(6)]
