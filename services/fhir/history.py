"""An aggregate's stored facts with their event times: what FHIR resources
are built from (the aggregates themselves keep only what their rules need)."""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from services.errors import NotFound
from services.recording import FlowAggregate

A = TypeVar("A", bound=FlowAggregate)


class Recorded(NamedTuple):
    fact: Any
    at: datetime


def history(hospital, aggregate_id: uuid.UUID, cls: type[A], facility_id: str, what: str) -> tuple[A, list[Recorded]]:
    events = list(hospital.repository.event_store.get(aggregate_id))
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    if not isinstance(aggregate, cls) or aggregate.facility_id != facility_id:
        raise NotFound(f"{what} not found")
    return aggregate, [Recorded(e.fact, e.meta.occurred_at) for e in events if getattr(e, "fact", None) is not None]


def instant(moment: datetime) -> str:
    """FHIR dateTime: ISO 8601 with its offset."""
    return moment.isoformat()


def narrative(summary: str) -> dict:
    """A generated narrative (`text`) of one escaped sentence, never patient data."""
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(summary)}</div>'}
