"""The board WebSocket protocol (`edflow.v1`): frame shapes and their codec.

Server → client, one JSON object per binary frame, `type` first:
  snapshot  the whole board of the subscription as of `seq`; replaces what the
            client holds
  delta     the entities that changed since `seq - 1`; `value` null = removed
  deltas    consecutive deltas in one frame (`deltas`: delta frames, seq
            ascending by one): what a facility's deltas of one tick become
            when there are several; applied in order, as if sent one by one
  resumed   a reconnect with `since` was served from the recent deltas that follow
  stale     the server saw a gap in the board stream: the board shown is the
            last good one, as of `seq`, until the next snapshot
  status    no board yet for the facility (`waiting`)
  error     a bad client message; the connection stays open
  ping/pong heartbeats
Client → server: ping, pong, subscribe {facility, unit?, since?, epoch?},
resync {} (the client saw a gap itself and wants a fresh snapshot).

A client applies a delta only when its seq is the one it holds + 1 within the
same epoch; anything else is a gap, answered by asking for a resync.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import msgspec

from events.board import BedChange, EncounterChange, EntityChange, removed

PROTOCOL = "edflow.v1"
BEARER_PREFIX = "bearer."
# Facility ids and unit names end up in topic keys and page headings.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class Snapshot(msgspec.Struct, tag="snapshot", tag_field="type", kw_only=True):
    facility: str
    unit: str | None
    seq: int
    epoch: str
    as_of: datetime | None
    stale_since: datetime | None = None
    changes: list[EntityChange]
    time_zone: str | None = None  # the facility's: its calendar day and clock


class Delta(msgspec.Struct, tag="delta", tag_field="type", kw_only=True):
    facility: str
    seq: int
    epoch: str
    as_of: datetime | None
    changes: list[EntityChange]


class Deltas(msgspec.Struct, tag="deltas", tag_field="type", kw_only=True):
    facility: str
    deltas: list[Delta]


class Resumed(msgspec.Struct, tag="resumed", tag_field="type", kw_only=True):
    facility: str
    since: int
    seq: int
    epoch: str


class Stale(msgspec.Struct, tag="stale", tag_field="type", kw_only=True):
    facility: str
    seq: int
    since: datetime


class Status(msgspec.Struct, tag="status", tag_field="type", kw_only=True):
    facility: str
    state: Literal["waiting"]
    message: str


class Error(msgspec.Struct, tag="error", tag_field="type", kw_only=True):
    code: str
    message: str


class Ping(msgspec.Struct, tag="ping", tag_field="type", kw_only=True):
    t: float | None = None


class Pong(msgspec.Struct, tag="pong", tag_field="type", kw_only=True):
    t: float | None = None


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="type", kw_only=True, forbid_unknown_fields=True):
    facility: str
    unit: str | None = None
    since: int | None = None
    epoch: str | None = None


class Resync(msgspec.Struct, tag="resync", tag_field="type", kw_only=True):
    pass


ServerFrame = Snapshot | Delta | Deltas | Resumed | Stale | Status | Error | Ping | Pong
ClientMessage = Ping | Pong | Subscribe | Resync

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientMessage)
_server_decoder = msgspec.json.Decoder(ServerFrame)


class BadMessage(Exception):
    """A client message that cannot be understood; answered with an error frame."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def encode_frame(frame: ServerFrame) -> bytes:
    return _encoder.encode(frame)


def join_deltas(facility: str, encoded: list[bytes]) -> bytes:
    """One `deltas` frame of already encoded delta frames: the same bytes as
    encoding `Deltas`, without encoding any delta again."""
    if len(encoded) == 1:
        return encoded[0]
    return b'{"type":"deltas","facility":%s,"deltas":[%s]}' % (_encoder.encode(facility), b",".join(encoded))


def decode_frame(raw: bytes | str) -> ServerFrame:
    """For clients and tests: one server frame."""
    return _server_decoder.decode(raw)


def decode_client_message(raw: bytes | str) -> ClientMessage:
    try:
        message = _client_decoder.decode(raw)
    except msgspec.ValidationError as error:  # a subclass of DecodeError: first
        text = str(error)
        if "`$.type`" in text:
            raise BadMessage("unknown_type", "unknown message type; expected ping, pong, subscribe or resync") from None
        raise BadMessage("invalid", text) from None
    except msgspec.DecodeError as error:
        raise BadMessage("malformed", f"not a JSON message: {error}") from None
    if isinstance(message, Subscribe):
        check_name("facility", message.facility)
        if message.unit is not None:
            check_name("unit", message.unit)
    return message


def check_name(field: str, value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise BadMessage("invalid", f"{field} must be 1-64 letters, digits or . _ : - (got {value[:80]!r})")
    return value


def offered_token(subprotocols: list[str]) -> str | None:
    """The bearer token a client offered as a `bearer.<token>` subprotocol."""
    for offered in subprotocols:
        if offered.startswith(BEARER_PREFIX):
            return offered[len(BEARER_PREFIX) :]
    return None


def for_view(changes: list[EntityChange], unit: str | None, kinds: frozenset[str] | None) -> list[EntityChange]:
    """The changes as seen by one client: its unit filter, and only the entity
    kinds its role may see (None = all). Kinds outside the view were never on
    that client's board, so they are left out rather than removed."""
    if kinds is not None:
        changes = [change for change in changes if change.kind in kinds]
    return for_unit(changes, unit)


def for_unit(changes: list[EntityChange], unit: str | None) -> list[EntityChange]:
    """The changes as seen by a client watching one unit: beds and roomed
    patients of other units read as removed (always safe to apply), patients
    still waiting and department-wide panels stay."""
    if unit is None:
        return changes
    seen = []
    for change in changes:
        if isinstance(change, BedChange | EncounterChange) and change.value is not None:
            where = change.value.unit
            if where is not None and where != unit:
                change = removed(change)
        seen.append(change)
    return seen


def frame_type(frame: ServerFrame) -> str:
    return str(frame.__struct_config__.tag)
