"""Keeps a work-queue table current by folding the event store's own log.

The API, the reminders process and `edflow report` read the queue this way:
the store is the source of truth, so a restarted process rebuilds exactly
what was recorded (sent reminders included) with the same pure reducer the
Kafka consumers use. The composition root hands a reader to the services
that need one (they see only `entries` and `catch_up`).
"""

from __future__ import annotations

import threading
from typing import Any

from base.store_log import envelopes_after
from events.work_queue import QueueEntry
from projections.work_queue import fold_into


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

    def facilities(self) -> list[str]:
        with self._lock:
            return sorted({key.split("|", 1)[0] for key in self.table})
