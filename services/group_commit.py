"""Group commit: saves that arrive while a transaction is being written are
written together in the next one.

Every command (HTTP or HL7) and every access-log record ends in one save:
the events one caller decided, checked against the state it read. A store
transaction costs far more than the events in it (the commit waits for the
disk), so saves are queued; whichever caller finds no transaction in
progress writes everything queued so far in one transaction, and each
caller returns only once the transaction holding its events is durable.

Each save keeps its own outcome. If a shared transaction fails (one of the
saves lost a race: another command wrote the same aggregate version or the
same receipt first), nothing of it was written, and the saves are written
again one transaction each, in the order they arrived: the first writer
wins and exactly the loser gets its IntegrityError, decides again against
the new state and answers with the domain error (409) that names what
changed. The hash chain is written by the recorder inside the transaction,
one link per event, whatever the transaction holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Recording

# Events in one shared transaction at most: a burst is written in several,
# so no caller waits behind an unbounded transaction.
MAX_EVENTS_PER_TRANSACTION = 2000

Put = Callable[[Sequence[DomainEventProtocol[Any]]], list[Recording[Any]]]


class _Save:
    __slots__ = ("events", "recordings", "error", "done")

    def __init__(self, events: list[DomainEventProtocol[Any]]):
        self.events = events
        self.recordings: list[Recording[Any]] = []
        self.error: BaseException | None = None
        self.done = False


class GroupCommit:
    """Writes saves through `put` (one store transaction per call), several
    saves to a call when they arrive together."""

    def __init__(self, put: Put, max_events: int = MAX_EVENTS_PER_TRANSACTION):
        self._put = put
        self._max_events = max_events
        self._changed = threading.Condition()
        self._queue: list[_Save] = []
        self._writing = False
        # What the last transactions held, for tests and benchmarks.
        self.transactions = 0
        self.saves = 0

    def save(self, processing: ProcessingEvent[Any]) -> list[Recording[Any]]:
        """Store the events collected in `processing`; return once they are
        durable (or raise what storing them alone raised)."""
        entry = _Save(processing.events)
        with self._changed:
            self._queue.append(entry)
            while not entry.done:
                if self._writing:
                    self._changed.wait()
                    continue
                self._writing = True
                batch = self._take()
                self._changed.release()
                try:
                    self._write(batch)
                finally:
                    self._changed.acquire()
                    self._writing = False
                    self._changed.notify_all()
        if entry.error is not None:
            raise entry.error
        return entry.recordings

    def _take(self) -> list[_Save]:
        """The oldest queued saves, up to the transaction's size (at least one)."""
        count, events = 0, 0
        for entry in self._queue:
            if count and events + len(entry.events) > self._max_events:
                break
            count, events = count + 1, events + len(entry.events)
        batch, self._queue = self._queue[:count], self._queue[count:]
        return batch

    def _write(self, batch: list[_Save]) -> None:
        try:
            if len(batch) > 1:
                try:
                    recordings = self._put([event for entry in batch for event in entry.events])
                except Exception:
                    # One save conflicts, or the store failed: nothing was
                    # written. Each is written alone, in order, and gets its own answer.
                    pass
                else:
                    self.transactions += 1
                    self.saves += len(batch)
                    start = 0
                    for entry in batch:
                        entry.recordings = recordings[start : start + len(entry.events)]
                        start += len(entry.events)
                        entry.done = True
                    return
            for entry in batch:
                try:
                    entry.recordings = self._put(entry.events)
                    self.transactions += 1
                    self.saves += 1
                except BaseException as error:  # handed to the caller that made this save
                    entry.error = error
                entry.done = True
        finally:
            for entry in batch:
                if not entry.done:
                    entry.error = entry.error or RuntimeError("the save was interrupted")
                    entry.done = True
