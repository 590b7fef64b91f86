"""The board's bytes do not drift: a recorded scenario, folded and served
again, publishes exactly the board messages and dashboard frames it did when
it was recorded (tests/projections/board_record.py)."""

from __future__ import annotations

from events.envelope import encode
from tests.projections.board_record import ENVELOPES, board_bytes, recorded_board, recorded_envelopes


def test_the_recorded_envelopes_still_decode_to_the_same_bytes():
    lines = ENVELOPES.read_bytes().splitlines()
    assert [encode(envelope) for envelope in recorded_envelopes()] == lines


def test_the_board_publishes_and_serves_the_recorded_bytes():
    expected = recorded_board()
    actual = board_bytes(recorded_envelopes())
    for n, (got, want) in enumerate(zip(actual, expected, strict=False)):
        assert got == want, f"line {n + 1} differs:\n got {got[:2000]!r}\nwant {want[:2000]!r}"
    assert len(actual) == len(expected)
