"""Keeps a work-queue table current by folding the event store's own log.

The API, the reminders process and `edflow report` read the queue this way:
the store is the source of truth, so a restarted process rebuilds exactly
what was recorded (sent reminders included) with the same pure reducer the
Kafka consumers use.
"""

from __future__ import annotations

import threading
from typing import Any

from events.envelope import Envelope
from projections.work_queue import QueueEntry, fold_into
from services.recording import to_envelope

BATCH = 1000


def envelopes_after(app: Any, position: int, limit: int = BATCH) -> tuple[list[Envelope], int]:
    """Published events after `position` (internal records skipped) and the last position read."""
    notifications = app.recorder.select_notifications(position, limit=limit, inclusive_of_start=False)
    envelopes = []
    for notification in notifications:
        envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
        if envelope is not None:
            envelopes.append(envelope)
        position = notification.id
    return envelopes, position


class WorkQueueReader:
    def __init__(self, app: Any):
        self.app = app
        self.table: dict[str, QueueEntry] = {}
        self.position = 0
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Fold everything recorded since the last call; returns the position reached."""
        with self._lock:
            while True:
                envelopes, last = envelopes_after(self.app, self.position)
                if last == self.position:
                    return self.position
                fold_into(self.table, envelopes)
                self.position = last

    def entries(self, facility_id: str) -> list[QueueEntry]:
        prefix = f"{facility_id}|wq|"
        with self._lock:
            return [entry for key, entry in self.table.items() if key.startswith(prefix)]
