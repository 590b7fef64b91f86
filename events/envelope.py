"""The versioned envelope every published event travels in, and its codec.

One codec (msgspec JSON) is used everywhere: the relay encodes with it, the
projection workers, replay and tests decode with it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Union

import msgspec

from events.catalogue import ALL_FACTS, Fact

ENVELOPE_VERSION = 1
# Event ids are derived from (aggregate id, version): a relayed repeat carries
# the same id, so consumers can drop it.
EVENT_ID_NAMESPACE = uuid.UUID("6f2b8f39-52a4-4b8e-9d0c-4c3b3e1f9a10")

AnyFact = Union[ALL_FACTS]  # type: ignore[valid-type]  # noqa: UP007 - a union of a runtime tuple


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who caused an event: a person (by user id) or a system feed."""

    id: str
    role: str


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    type: str
    schema_version: int
    facility_id: str
    aggregate_type: str
    aggregate_id: uuid.UUID
    aggregate_version: int
    position: int
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    correlation_id: str | None
    data: AnyFact
    envelope_version: int = ENVELOPE_VERSION


def event_id_for(aggregate_id: uuid.UUID, version: int) -> uuid.UUID:
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}:{version}")


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)


def encode(envelope: Envelope) -> bytes:
    return _encoder.encode(envelope)


def decode(raw: bytes | str) -> Envelope:
    """Decode one published event; raises `msgspec.ValidationError` /
    `msgspec.DecodeError` with the offending path on bad input."""
    return _decoder.decode(raw)


def fact_type(fact: Fact) -> str:
    return type(fact).__name__
