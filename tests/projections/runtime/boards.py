"""The board as an offline fold sees it, and as a board-stream consumer rebuilds it."""

from __future__ import annotations

import msgspec

from events.board import BoardMessage, BoardValue, EncounterValue
from events.envelope import Envelope
from projections import fold
from projections.board_stream import BoardView
from projections.profile import DEFAULT_PROFILE

Board = dict[tuple[str, str], BoardValue]


def offline_board(envelopes: list[Envelope], positions: dict[str, int] | None = None) -> Board:
    """A clean fold of the events, each applied once, in store order (only
    those up to a message's `positions`, if given)."""
    if positions is not None:
        envelopes = [e for e in envelopes if e.position <= positions.get(fold.stream_of(e), 0)]
    table = fold.fold_into({}, envelopes, DEFAULT_PROFILE)
    return {(c.kind, c.id): c.value for c in fold.board_snapshot(table.items(), DEFAULT_PROFILE) if c.value is not None}


def expected_positions(envelopes: list[Envelope]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for envelope in envelopes:
        stream = fold.stream_of(envelope)
        positions[stream] = max(positions.get(stream, 0), envelope.position)
    return positions


def snapshot_board(message: BoardMessage) -> Board:
    assert message.type == "snapshot"
    return {(c.kind, c.id): c.value for c in message.changes if c.value is not None}


def rebuilt_from_last_snapshot(messages: list[BoardMessage]) -> BoardView:
    """What a consumer that joined at the last snapshot before the final
    message holds after applying every later delta: the board as of
    `messages[-2].positions`. (The final message may be a periodic snapshot
    that carries the last events itself, with no delta before it.)"""
    last = max(i for i, m in enumerate(messages[:-1]) if m.type == "snapshot")
    view = BoardView()
    for message in messages[last:-1]:
        view.apply(message)
    return view


def without_wait_flags(board: Board) -> Board:
    """`over_target` of a waiting visit depends on the clock of the message
    that carried it (a delta is evaluated at its own event's time, a snapshot
    at the last event's), so boards rebuilt from deltas are compared without it."""
    return {key: _without_wait_flag(value) for key, value in board.items()}


def _without_wait_flag(value: BoardValue) -> BoardValue:
    if isinstance(value, EncounterValue):
        return msgspec.structs.replace(value, over_target=False)
    return value


def differences(got: Board, expected: Board, limit: int = 5) -> str:
    """A short account of how two boards differ, for assertion messages."""
    keys = sorted(k for k in got.keys() | expected.keys() if got.get(k) != expected.get(k))
    return "; ".join(f"{k}: got {got.get(k)} expected {expected.get(k)}" for k in keys[:limit]) + (
        f" (+{len(keys) - limit} more)" if len(keys) > limit else ""
    )
