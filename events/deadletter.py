"""The dead-letter topic's records: events a projection could not apply.

Published contract, like the board stream. One record per event, keyed by
its event id: a consumer that sees the same key twice (a worker that crashed
between sending the record and noting it) has seen the same dead letter.
No patient data: the event's identity, where it sits in Kafka and in the
store, and why it failed (the exception type and the reducer that raised,
never the exception's message, which can quote values from the event).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    type: str
    facility_id: str
    topic: str
    partition: int
    offset: int
    # The event's store position (its notification id).
    position: int
    # e.g. "TypeError in projections.fold.step"
    reason: str
    # When the worker set it aside (wall clock, UTC).
    at: datetime


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(DeadLetter)


def encode_dead_letter(record: DeadLetter) -> bytes:
    return _encoder.encode(record)


def decode_dead_letter(raw: bytes | str) -> DeadLetter:
    return _decoder.decode(raw)
