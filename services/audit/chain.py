"""Tamper evidence: a keyed chain over the event log, written atomically with it.

Each stored event gets a link in the table `event_chain`, inserted in the
same transaction as the event (our recorders extend eventsourcing's):

    link(n) = 0x01 || HMAC-SHA256(key, context || link(prev) || n || originator
              id || version || topic || state)

The key lives outside the database (`services.audit.keys`), so someone who
can rewrite the store cannot recompute a chain that verifies. Stores written
before the chain was keyed hold plain links, `SHA-256(link(prev) || ...)`,
32 bytes without the 0x01 marker; they are still read, and the first keyed
link marks where the keyed chain begins. When a writer makes that first keyed
link it appends a "chain start" checkpoint (`services.audit.checkpoints`), so
that the chain cannot later be turned back into plain hashes unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import struct
import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from base.settings import Settings
from services.audit import checkpoints
from services.audit.keys import AuditConfigError, chain_key, checkpoint_path, key_path, key_source

GENESIS = b"\x00" * 32
KEYED = b"\x01"
KEYED_CONTEXT = b"edflow chain v2\n"
CHAIN_TABLE = "event_chain"
log = logging.getLogger("edflow.audit")


def _fields(notification_id: int, event: StoredEvent) -> list[bytes]:
    originator = event.originator_id
    originator_bytes = originator.bytes if isinstance(originator, UUID) else str(originator).encode()
    state = event.state if isinstance(event.state, bytes) else str(event.state).encode()
    parts = [struct.pack(">QQ", notification_id, event.originator_version)]
    for part in (originator_bytes, str(event.topic).encode(), state):
        parts += [struct.pack(">I", len(part)), part]
    return parts


def link(previous: bytes, notification_id: int, event: StoredEvent) -> bytes:
    """The plain link of stores written before the chain was keyed."""
    digest = hashlib.sha256(previous)
    for part in _fields(notification_id, event):
        digest.update(part)
    return digest.digest()


def keyed_link(key: bytes, previous: bytes, notification_id: int, event: StoredEvent) -> bytes:
    mac = hmac.new(key, KEYED_CONTEXT + previous, hashlib.sha256)
    for part in _fields(notification_id, event):
        mac.update(part)
    return KEYED + mac.digest()


def is_keyed(stored: bytes) -> bool:
    return len(stored) == 33 and stored[:1] == KEYED


def expected_link(key: bytes | None, stored: bytes, previous: bytes, notification_id: int, event: StoredEvent) -> bytes:
    """The link `stored` should be, in its own format (keyed or plain)."""
    if is_keyed(stored):
        if key is None:
            raise AuditConfigError("keyed links cannot be checked without the chain key")
        return keyed_link(key, previous, notification_id, event)
    return link(previous, notification_id, event)


class ChainWriter:
    """The writing side of one recorder: its key, loaded at the first write
    (and generated then, if the store holds no keyed link yet), and the
    "chain start" checkpoint, written once the first keyed link is committed."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.key: bytes | None = None
        self._pending = threading.local()

    def configure(self, settings: Settings) -> None:
        # Refuse a key file or checkpoint file inside the data directory now,
        # rather than at the first write.
        if not settings.chain_key:
            key_path(settings)
        checkpoint_path(settings)
        self.settings = settings

    def links(self, previous: bytes, ids: Sequence[int], events: Sequence[StoredEvent]) -> list[tuple[int, bytes]]:
        key = self._key(previous)
        starts_keyed_chain = not is_keyed(previous)
        links = []
        for notification_id, event in zip(ids, events):
            previous = keyed_link(key, previous, notification_id, event)
            links.append((notification_id, previous))
        if starts_keyed_chain and links:
            self._pending.start = links[0]
        return links

    def _key(self, previous: bytes) -> bytes:
        if self.key is None:
            if self.settings is None:
                raise AuditConfigError("the event chain is not configured with a key")
            key = chain_key(self.settings, create=not is_keyed(previous))
            if key is None:
                raise AuditConfigError(
                    f"the event chain is keyed, but no chain key is available: set EDFLOW_CHAIN_KEY "
                    f"or restore {key_source(self.settings)}"
                )
            self.key = key
        return self.key

    def committed(self) -> None:
        start, self._pending.start = getattr(self._pending, "start", None), None
        if start is None or self.settings is None or self.key is None:
            return
        position, first = start
        try:
            checkpoints.append(self.settings, self.key, position, first, "chain start")
        except (OSError, AuditConfigError) as error:
            log.error("the keyed chain starts at position %d, but its checkpoint was not written: %s", position, error)

    def discard(self) -> None:
        self._pending.start = None


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.chain = ChainWriter()

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (notification_id INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
        ]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        try:
            ids = super().insert_events(stored_events, **kwargs)
        except BaseException:
            self.chain.discard()
            raise
        self.chain.committed()
        return ids

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        # SQLite serialises writers, so the last link cannot move under us.
        c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        links = self.chain.links(bytes(row[0]) if row else GENESIS, ids or [], stored_events)
        c.executemany(f"INSERT INTO {CHAIN_TABLE} (notification_id, hash) VALUES (?, ?)", links)
        return ids


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL, Identifier

        self.chain = ChainWriter()
        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (notification_id BIGINT PRIMARY KEY, hash BYTEA NOT NULL)").format(table)
        )
        self._select_last = SQL("SELECT hash FROM {} ORDER BY notification_id DESC LIMIT 1").format(table)
        self._insert_link = SQL("INSERT INTO {} (notification_id, hash) VALUES (%s, %s)").format(table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        try:
            ids = super().insert_events(stored_events, **kwargs)
        except BaseException:
            self.chain.discard()
            raise
        self.chain.committed()
        return ids

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        # The events table is locked in EXCLUSIVE mode for this transaction,
        # so no other writer can extend the chain between read and write.
        curs.execute(self._select_last)
        row = curs.fetchone()
        links = self.chain.links(bytes(row["hash"]) if row else GENESIS, ids or [], stored_events)
        curs.executemany(self._insert_link, links)
        return ids


def link_at(app: Any, position: int) -> bytes | None:
    """The chain's link at store position `position`, None if the store holds
    none there. Each link covers every event up to it, so an unchanged link
    means an unchanged history up to that position."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT hash FROM {CHAIN_TABLE} WHERE notification_id = {int(position)}")
        row = cursor.fetchone()
    if row is None:
        return None
    return bytes(row["hash"] if isinstance(row, dict) else row[0])
