"""Checkpoints taken automatically by the relay.

`edflow relay` follows the whole log in order, one process per store, and
runs anyway: it appends a signed checkpoint of the chain at its acknowledged
position every `checkpoint_every_events` positions, or at the first chance
once `checkpoint_every_minutes` have passed with new events, and when it
stops. Command latency is untouched, and one process writes the file.

Before signing, the link at that position is checked against its event and
the link before it: a relay holding another key than the writers would
otherwise sign links it cannot vouch for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from base.settings import Settings
from services.audit import checkpoints
from services.audit.chain import CHAIN_TABLE, GENESIS, expected_link, is_keyed
from services.audit.checkpoints import Checkpoint
from services.audit.keys import AuditConfigError, chain_key, checkpoint_path, key_source

log = logging.getLogger("edflow.audit")


class AutoCheckpoints:
    def __init__(self, app, settings: Settings, clock: Callable[[], float] = time.monotonic):
        self.app, self.settings, self.clock = app, settings, clock
        self.path = checkpoint_path(settings)
        # The last position checkpointed, or attempted and refused.
        self.last = max((c.position for c in checkpoints.load(self.path)), default=0)
        self.every = settings.checkpoint_every_events
        self.seconds = settings.checkpoint_every_minutes * 60
        self.since = clock()
        self.key: bytes | None = None

    def due(self, position: int, final: bool = False) -> bool:
        if position <= self.last:
            return False
        return final or position - self.last >= self.every or self.clock() - self.since >= self.seconds

    def take(self, position: int) -> Checkpoint | None:
        """Sign and append a checkpoint at `position`; None (logged) if the link there does not hold."""
        previous, stored = _links_up_to(self.app, position)
        found = self.app.recorder.select_notifications(position, limit=1)
        event = found[0] if found and found[0].id == position else None
        try:
            key = self._key(stored)
            holds = (
                event is not None
                and stored is not None
                and expected_link(key, stored, previous, position, event) == stored
            )
        except AuditConfigError as error:
            self._refuse(position, str(error))
            return None
        if not holds or stored is None:
            self._refuse(
                position,
                f"the chain link at position {position} does not verify under {key_source(self.settings)}: "
                "the writers may use another key, or the log was altered; run `edflow audit verify`",
            )
            return None
        try:
            checkpoint = checkpoints.append(self.settings, key, position, stored, "relay")
        except OSError as error:
            log.warning("cannot write the checkpoint file %s (%s); will retry", self.path, error.strerror)
            return None
        self.last, self.since = position, self.clock()
        log.info("checkpoint of the event chain at position %d", position)
        return checkpoint

    def _key(self, stored: bytes | None) -> bytes:
        if self.key is None:
            key = chain_key(self.settings, create=stored is not None and not is_keyed(stored))
            if key is None:
                raise AuditConfigError(f"no chain key is available ({key_source(self.settings)} absent)")
            self.key = key
        return self.key

    def _refuse(self, position: int, why: str) -> None:
        self.last, self.since = position, self.clock()
        log.error("no checkpoint at position %d: %s", position, why)


def _links_up_to(app, position: int) -> tuple[bytes, bytes | None]:
    """The link before `position` and the link at it (None if absent)."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT notification_id, hash FROM {CHAIN_TABLE} WHERE notification_id <= {int(position)} "
            "ORDER BY notification_id DESC LIMIT 2"
        )
        rows = [
            (int(r[0]), bytes(r[1])) if not isinstance(r, dict) else (int(r["notification_id"]), bytes(r["hash"]))
            for r in cursor.fetchall()
        ]
    at = rows[0][1] if rows and rows[0][0] == position else None
    before = [link for n, link in rows if n < position]
    return (before[0] if before else GENESIS), at
