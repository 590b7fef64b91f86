"""MLLP framing edge cases against the running listener, over real sockets."""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.hl7.mllp import FrameReader
from tests.services.hl7.conftest import ack_code, facts, frame, segments
from tests.services.hl7.messages import adt

TIMEOUT = 20


def connect(running) -> socket.socket:
    return socket.create_connection((running.host, running.port), timeout=TIMEOUT)


def read_replies(sock: socket.socket, count: int) -> list[bytes]:
    """Read until `count` whole frames arrived (a liveness timeout, not a measurement)."""
    data, end = b"", b"\x1c\r"
    deadline = time.monotonic() + TIMEOUT
    while data.count(end) < count:
        assert time.monotonic() < deadline, f"only {data.count(end)} of {count} replies: {data!r}"
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return [part.split(b"\x1c")[0] for part in data.split(b"\x0b")[1:]]


def register(visit: str, control: str) -> bytes:
    return adt("A04", control, visit=visit, bed="").encode()


def test_a_frame_sent_in_pieces_is_acknowledged_once(running_sqlite):
    with connect(running_sqlite) as sock:
        data = frame(register("P1", "C1"))
        for i in range(0, len(data), 7):
            sock.sendall(data[i : i + 7])
            time.sleep(0.001)
        (reply,) = read_replies(sock, 1)
    assert ack_code(reply) == "AA"


def test_garbage_between_frames_is_ignored(running_sqlite):
    with connect(running_sqlite) as sock:
        sock.sendall(
            b"\r\n\x00noise" + frame(register("G1", "C1")) + b"\n\n keep-alive \x00" + frame(register("G2", "C2"))
        )
        replies = read_replies(sock, 2)
    assert [ack_code(r) for r in replies] == ["AA", "AA"]


def test_an_oversized_frame_gets_ar_and_the_connection_resyncs(running_sqlite):
    huge = register("H1", "BIG").replace(b"\rEVN", b"\rNTE|1||" + b"x" * 100_000 + b"\rEVN")
    with connect(running_sqlite) as sock:
        sock.sendall(frame(huge) + frame(register("H2", "C2")))
        big, small = read_replies(sock, 2)
    assert ack_code(big) == "AR"
    assert segments(big, "MSA")[0][2] == "BIG" and "exceeds" in segments(big, "MSA")[0][3]
    assert ack_code(small) == "AA"
    assert [type(f).__name__ for f in facts(running_sqlite.app)].count("PatientArrived") == 1


def test_a_client_vanishing_mid_message_records_nothing_and_the_listener_carries_on(running_sqlite):
    before = running_sqlite.events()
    with connect(running_sqlite) as sock:
        sock.sendall(frame(register("V1", "C1"))[:40])
    time.sleep(0.05)
    assert running_sqlite.events() == before
    with connect(running_sqlite) as sock:
        sock.sendall(frame(register("V2", "C2")))
        (reply,) = read_replies(sock, 1)
    assert ack_code(reply) == "AA"


def test_a_client_leaving_before_its_ack_still_has_its_message_applied(running_sqlite):
    before = running_sqlite.events()
    with connect(running_sqlite) as sock:
        sock.sendall(frame(register("L1", "C1")))
    deadline = time.monotonic() + TIMEOUT
    while running_sqlite.events() == before:
        assert time.monotonic() < deadline, "the whole message was never applied"
        time.sleep(0.01)
    assert running_sqlite.events() == before + 1


def test_many_messages_in_one_write_are_acknowledged_in_order(running_sqlite):
    messages = [register(f"M{n}", f"C{n}") for n in range(25)]
    with connect(running_sqlite) as sock:
        sock.sendall(b"".join(frame(m) for m in messages))
        replies = read_replies(sock, 25)
    assert [(ack_code(r), segments(r, "MSA")[0][2]) for r in replies] == [("AA", f"C{n}") for n in range(25)]


def test_a_frame_cut_short_by_the_next_start_byte_gets_ar(running_sqlite):
    with connect(running_sqlite) as sock:
        partial = register("A1", "CUT").split(b"\r")[0] + b"\rEVN|A0"
        sock.sendall(b"\x0b" + partial + frame(register("A2", "C2")))
        cut, whole = read_replies(sock, 2)
    assert (ack_code(cut), segments(cut, "MSA")[0][2]) == ("AR", "CUT")
    assert ack_code(whole) == "AA"


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(
        st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\x0b", b"").replace(b"\x1c", b"") or b"x"),
        max_size=5,
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=20),
    noise=st.binary(max_size=10).map(lambda b: b.replace(b"\x0b", b"")),
)
def test_frames_come_out_the_same_however_the_stream_is_cut(bodies, cuts, noise):
    stream = b"".join(noise + b"\x0b" + body + b"\x1c\r" for body in bodies)
    reader, frames, at = FrameReader(max_bytes=1 << 20), [], 0
    for cut in sorted(set(cuts)) + [len(stream)]:
        frames += reader.feed(stream[at:cut])
        at = max(at, cut)
    assert frames == [("frame", body) for body in bodies]


@pytest.mark.parametrize(
    "stream, expected",
    [
        (b"\x0bONE\x1c\x0bTWO\x1c\r", [("frame", b"ONE"), ("frame", b"TWO")]),  # end block without its CR
        (b"\r\n\x00noise\x0bONE\x1c\r", [("frame", b"ONE")]),  # line noise right before a start block
        (b"\x0bON\x0bTWO\x1c\r", [("abandoned", b"ON"), ("frame", b"TWO")]),  # cut short: refused, not merged
        (b"\x0bONE\x1c\r\x0bTW", [("frame", b"ONE")]),  # the peer left mid-frame: nothing half-read
    ],
)
def test_malformed_framing_keeps_every_whole_frame_and_merges_none(stream, expected):
    """The cases hl7.mllp's reader loses or merges (deploy/bench/bench_hl7_parse.py --only framing)."""
    assert FrameReader(max_bytes=1 << 20).feed(stream) == expected


def test_one_message_sent_on_five_connections_at_once_is_applied_once_with_one_ack(running_sqlite):
    from concurrent.futures import ThreadPoolExecutor

    message = frame(adt("A04", "SAME", visit="R1", bed="ED^^1").encode())
    before = running_sqlite.events()

    def send_once(_: int) -> bytes:
        with connect(running_sqlite) as sock:
            sock.sendall(message)
            return read_replies(sock, 1)[0]

    with ThreadPoolExecutor(5) as pool:
        replies = list(pool.map(send_once, range(5)))
    assert len(set(replies)) == 1 and ack_code(replies[0]) == "AA"
    assert running_sqlite.events() == before + 1  # PatientArrived only: no bed ED-1 in this store
