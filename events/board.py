"""The board stream: what the projections publish per facility and the
dashboard fans out. Published contract, like the event catalogue.

Per facility, messages carry a sequence number that increases by one per
message. A `snapshot` holds every entity of the facility's board as of `seq`;
a `delta` holds the entities that changed since `seq - 1`. A consumer that sees
a gap (a delta whose seq is not last seq + 1) discards its board and waits for
(or asks for) the next snapshot.

Entity kinds: "encounter", "bed", "capacity", "metrics", "appointment",
"schedule". `value` None means the entity left the board.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

EntityKind = Literal["encounter", "bed", "capacity", "metrics", "appointment", "schedule"]


class EntityChange(msgspec.Struct, frozen=True, kw_only=True):
    kind: EntityKind
    id: str
    value: dict[str, Any] | None


class BoardMessage(msgspec.Struct, frozen=True, kw_only=True):
    facility_id: str
    seq: int
    type: Literal["snapshot", "delta"]
    # Time of the last event folded in (event time, not wall clock).
    as_of: datetime | None
    # Store position of the last event folded in, per event topic.
    positions: dict[str, int] = {}
    changes: list[EntityChange] = []
    # The facility's IANA time zone: the calendar its "today" figures count
    # (metrics, schedule days) and the clock a screen should show.
    time_zone: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(BoardMessage)


def encode_board(message: BoardMessage) -> bytes:
    return _encoder.encode(message)


def decode_board(raw: bytes | str) -> BoardMessage:
    return _decoder.decode(raw)
