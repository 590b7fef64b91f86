"""One transaction for several commands: what an HL7 message decides.

An HL7 message may issue several commands (arrive, then assign a bed), each
with its own step receipt, and then keeps its ACK. While a `UnitOfWork` is
open on a thread, the application's saves on that thread are kept here
instead of written; commands later in the unit read the aggregates kept by
earlier ones; `HospitalBase.one_transaction` writes everything in one store
transaction when the unit closes, or nothing if it fails. A bulk import opens
one unit for many messages, each message a savepoint of it.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import Aggregate


class UnitOfWork:
    """The events and aggregates of saves made while the unit is open."""

    def __init__(self) -> None:
        self.processing: ProcessingEvent[Any] = ProcessingEvent()
        self.versions: dict[uuid.UUID, int] = {}  # of each aggregate as it was saved
        # Aggregates a probe of the store found absent (`services.store_probe`), and all it asked about.
        self.absent: set[uuid.UUID] = set()
        self.probed: set[uuid.UUID] = set()

    def to_probe(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `ids` not yet asked about nor kept by the unit; from now on, asked."""
        asked = set(ids) - self.probed - self.processing.aggregates.keys()
        self.probed |= asked
        return asked

    def note_absent(self, ids: Iterable[uuid.UUID]) -> None:
        self.absent.update(ids)

    def keep(self, processing: ProcessingEvent[Any]) -> None:
        self.processing.events.extend(processing.events)
        for aggregate_id, aggregate in processing.aggregates.items():
            self.processing.aggregates[aggregate_id] = aggregate
            self.versions[aggregate_id] = aggregate.version

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Drops the saves made in the block if it raises."""
        events, aggregates, versions = (
            len(self.processing.events),
            dict(self.processing.aggregates),
            dict(self.versions),
        )
        try:
            yield
        except BaseException:
            del self.processing.events[events:]
            self.processing.aggregates, self.versions = aggregates, versions
            raise

    def get(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        """A copy of the aggregate as the unit's saves left it, if they touched
        it: a decision on the copy that fails half-way leaves the kept one as saved.
        AggregateNotFoundError when the store had none and the unit kept none."""
        kept = self.processing.aggregates.get(aggregate_id)
        if not isinstance(kept, Aggregate):
            if aggregate_id in self.absent:
                raise AggregateNotFoundError(aggregate_id)
            return None
        if kept.version != self.versions[aggregate_id]:
            raise RuntimeError(f"aggregate {aggregate_id} was changed after its save and not saved again")
        return copy.deepcopy(kept)


def collect(processing: ProcessingEvent[Any], objs: Iterable[Any]) -> None:
    """`processing.collect_events(*objs)`, in the same order, without its
    runtime Protocol checks for aggregates (the usual case; they cost a tenth
    of an HL7 message's time)."""
    for obj in objs:
        if isinstance(obj, Aggregate):
            processing.events.extend(obj.collect_events())
            processing.aggregates[obj.id] = obj
        elif obj is not None:
            processing.collect_events(obj)


class OpenUnits(threading.local):
    """The unit of work open on this thread, if any."""

    current: UnitOfWork | None = None
