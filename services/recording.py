"""How facts are recorded by eventsourcing aggregates, and read back as envelopes.

Every aggregate records two event classes: `Created` (its first fact) and
`Recorded` (every later fact). Both carry the catalogue fact and its `Meta`
(facility, when it happened, who caused it, correlation). Stored topics are
explicit (`edflow:<Aggregate>.<Event>`), so moving a module never orphans a
stored event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoder

from events.catalogue import Fact
from events.envelope import Actor, AnyFact
from services.audit.access import AccessEntry


class Meta(msgspec.Struct, frozen=True, kw_only=True):
    facility_id: str
    occurred_at: datetime
    actor: Actor
    correlation_id: str | None = None


class FlowAggregate(Aggregate):
    """An aggregate whose events are catalogue facts. Subclasses implement
    `_apply(fact, meta)` (state change only, no checks) and decide in their methods."""

    class Created(Aggregate.Created):
        fact: Fact
        meta: Meta

    class Recorded(Aggregate.Event):
        fact: Fact
        meta: Meta

        def apply(self, aggregate: Any) -> None:
            aggregate._apply(self.fact, self.meta)

    def __init__(self, fact: Fact, meta: Meta):
        self.facility_id = meta.facility_id
        self._apply(fact, meta)

    def _record(self, fact: Fact, meta: Meta) -> None:
        if meta.facility_id != self.facility_id:
            raise ValueError("an aggregate only records facts of its own facility")
        self.trigger_event(self.Recorded, fact=fact, meta=meta)

    def _apply(self, fact: Fact, meta: Meta) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class StoredState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Everything our aggregates store in an event's state."""

    timestamp: datetime
    originator_topic: str | msgspec.UnsetType = msgspec.UNSET
    fact: AnyFact | msgspec.UnsetType = msgspec.UNSET
    meta: Meta | msgspec.UnsetType = msgspec.UNSET
    receipt: bytes | msgspec.UnsetType = msgspec.UNSET
    access: AccessEntry | msgspec.UnsetType = msgspec.UNSET
    request_hash: str | msgspec.UnsetType = msgspec.UNSET


class MsgspecTranscoder(Transcoder):
    """Stores event state as compact JSON with msgspec; typed on the way back."""

    _encoder: ClassVar = msgspec.json.Encoder()
    _decoder: ClassVar = msgspec.json.Decoder(StoredState)

    def encode(self, obj: Any) -> bytes:
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> dict[str, Any]:
        state = self._decoder.decode(data)
        return {f: v for f in state.__struct_fields__ if (v := getattr(state, f)) is not msgspec.UNSET}
