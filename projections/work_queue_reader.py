"""Keeps a work-queue table current by folding the event store's own log.

The API, the reminders process and `edflow report` read the queue this way:
the store is the source of truth, so a restarted process rebuilds exactly
what was recorded (sent reminders included) with the same pure reducer the
Kafka consumers use. The composition root hands a reader to the services
that need one (they see only `entries` and `catch_up`).

A stored record that cannot be read or applied (a class since removed, a
damaged row, a reducer that raises) is skipped whole, logged by event id and
position (never its content) and counted in `skipped`: one bad record must
not fail every read of the queue.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from base.store_log import page_after, to_envelope
from events.envelope import event_id_for
from events.work_queue import QueueEntry
from projections.guarded import failure_reason
from projections.work_queue import keys_for, step

log = logging.getLogger("edflow.work_queue")


class WorkQueueReader:
    def __init__(self, app: Any):
        self.app = app
        self.table: dict[str, QueueEntry] = {}
        self.position = 0
        self.skipped = 0
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Fold everything recorded since the last call; returns the position reached."""
        with self._lock:
            while notifications := page_after(self.app, self.position):
                for notification in notifications:
                    self._fold(notification)
                    self.position = notification.id
            return self.position

    def _fold(self, notification: Any) -> None:
        try:
            envelope = to_envelope(notification, self.app.mapper.to_domain_event(notification))
            if envelope is None:
                return
            # All of the event's changes are computed before any is written.
            changes = step({k: self.table.get(k) for k in keys_for(envelope)}, envelope)
        except Exception as error:
            self.skipped += 1
            event_id = event_id_for(notification.originator_id, notification.originator_version)
            log.error(
                "work queue skipped stored event %s at position %d: %s",
                event_id,
                notification.id,
                failure_reason(error),
            )
            return
        for key, entry in changes.items():
            if entry is None:
                self.table.pop(key, None)
            else:
                self.table[key] = entry

    def entries(self, facility_id: str) -> list[QueueEntry]:
        prefix = f"{facility_id}|wq|"
        with self._lock:
            return [entry for key, entry in self.table.items() if key.startswith(prefix)]

    def facilities(self) -> list[str]:
        with self._lock:
            return sorted({key.split("|", 1)[0] for key in self.table})
