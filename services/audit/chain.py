"""Tamper evidence: a hash chain over the event log, written atomically with it.

Each stored event gets a link `h(n) = SHA-256(h(prev) || n || originator id ||
version || topic || state)` in the table `event_chain`, inserted in the same
transaction as the event (our recorders extend eventsourcing's). Editing,
deleting or inserting an event row breaks the chain at that event; rewriting
the chain too is caught by checkpoints kept outside the database (see
`services.audit.verify`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

GENESIS = b"\x00" * 32
CHAIN_TABLE = "event_chain"


def link(previous: bytes, notification_id: int, event: StoredEvent) -> bytes:
    originator = event.originator_id
    originator_bytes = originator.bytes if isinstance(originator, UUID) else str(originator).encode()
    digest = hashlib.sha256(previous)
    digest.update(struct.pack(">QQ", notification_id, event.originator_version))
    state = event.state if isinstance(event.state, bytes) else str(event.state).encode()
    for part in (originator_bytes, str(event.topic).encode(), state):
        digest.update(struct.pack(">I", len(part)))
        digest.update(part)
    return digest.digest()


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (notification_id INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
        ]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        # SQLite serialises writers, so the last link cannot move under us.
        c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        previous = bytes(row[0]) if row else GENESIS
        links = []
        for notification_id, event in zip(ids or [], stored_events):
            previous = link(previous, notification_id, event)
            links.append((notification_id, previous))
        c.executemany(f"INSERT INTO {CHAIN_TABLE} (notification_id, hash) VALUES (?, ?)", links)
        return ids


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        from psycopg.sql import SQL, Identifier

        table = SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (notification_id BIGINT PRIMARY KEY, hash BYTEA NOT NULL)").format(table)
        )
        self._select_last = SQL("SELECT hash FROM {} ORDER BY notification_id DESC LIMIT 1").format(table)
        self._insert_link = SQL("INSERT INTO {} (notification_id, hash) VALUES (%s, %s)").format(table)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        # The events table is locked in EXCLUSIVE mode for this transaction,
        # so no other writer can extend the chain between read and write.
        curs.execute(self._select_last)
        row = curs.fetchone()
        previous = bytes(row["hash"]) if row else GENESIS
        links = []
        for notification_id, event in zip(ids or [], stored_events):
            previous = link(previous, notification_id, event)
            links.append((notification_id, previous))
        curs.executemany(self._insert_link, links)
        return ids
