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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate


class UnitOfWork:
    """The events and aggregates of saves made while the unit is open."""

    def __init__(self) -> None:
        self.processing: ProcessingEvent[Any] = ProcessingEvent()

    def keep(self, processing: ProcessingEvent[Any]) -> None:
        self.processing.events.extend(processing.events)
        for aggregate_id, aggregate in processing.aggregates.items():
            # A copy, so a later decision that fails half-way cannot leave its
            # pending events on what an earlier save kept.
            self.processing.aggregates[aggregate_id] = copy.deepcopy(aggregate)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Drops the saves made in the block if it raises."""
        events, aggregates = len(self.processing.events), dict(self.processing.aggregates)
        try:
            yield
        except BaseException:
            del self.processing.events[events:]
            self.processing.aggregates = aggregates
            raise

    def get(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        """A copy of the aggregate as the unit's saves left it, if they touched it."""
        kept = self.processing.aggregates.get(aggregate_id)
        return copy.deepcopy(kept) if isinstance(kept, Aggregate) else None


class OpenUnits(threading.local):
    """The unit of work open on this thread, if any."""

    current: UnitOfWork | None = None
