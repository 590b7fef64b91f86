"""Copying an SQLite event store into an empty PostgreSQL one, exactly.

What a store holds, and so what is copied: every stored event under its own
notification id (its position: the chain and the checkpoints name events by
it), in log order; the chain link of each (`services.audit.chain`); and the
positions tracked in eventsourcing's tracking table (the relay's). Aggregates,
idempotency receipts and access-log records are stored events like any
other. Nothing is decoded: the stored state is copied byte for byte, cipher
text as cipher text, so every chain link still holds over the copy.

The whole copy is one PostgreSQL transaction, taken with the events table
locked: an interrupted copy leaves the target as empty as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier, Literal

from base.store_log import pages
from services.audit.chain import CHAIN_TABLE

PAGE = 1000
MIGRATION = "__migration__"  # eventsourcing's own row in the tracking table, not a position


class CopyRefused(Exception):
    """The copy cannot start or cannot be committed; nothing was written."""


@dataclass(frozen=True)
class Contents:
    """How much a store holds."""

    events: int
    head: int
    links: int
    tracked: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.events == 0 and self.links == 0 and not self.tracked

    def describe(self) -> str:
        parts = [f"{self.events} events", f"{self.links} chain links"]
        parts += [f"{name} at position {position}" for name, position in sorted(self.tracked.items())]
        return ", ".join(parts)


def _value(row: Any, index: int, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[index]


def contents(app: Any) -> Contents:
    """What the store of `app` holds (SQLite or PostgreSQL)."""
    recorder = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        if isinstance(recorder, SQLiteApplicationRecorder):
            cursor.execute(f"SELECT COUNT(*) AS n, COALESCE(MAX(rowid), 0) AS head FROM {recorder.events_table_name}")
        else:
            cursor.execute(
                SQL("SELECT COUNT(*) AS n, COALESCE(MAX(notification_id), 0) AS head FROM {}.{}").format(
                    Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
                )
            )
        row = cursor.fetchone()
        events, head = int(_value(row, 0, "n")), int(_value(row, 1, "head"))
        cursor.execute(f"SELECT COUNT(*) AS n FROM {CHAIN_TABLE}")
        links = int(_value(cursor.fetchone(), 0, "n"))
    return Contents(events, head, links, tracked_positions(app))


def tracked_positions(app: Any) -> dict[str, int]:
    """Each tracking name's position, read without creating the table."""
    recorder = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        if isinstance(recorder, SQLiteApplicationRecorder):
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tracking'")
            if cursor.fetchone() is None:
                return {}
            table = "tracking"
        else:
            name = _postgres_tracking(app).tracking_table_name
            cursor.execute("SELECT to_regclass(%s) AS t", (f"{recorder.datastore.schema}.{name}",))
            if _value(cursor.fetchone(), 0, "t") is None:
                return {}
            table = f'"{recorder.datastore.schema}"."{name}"'
        cursor.execute(
            f"SELECT application_name AS a, MAX(notification_id) AS n FROM {table} "
            f"WHERE application_name != '{MIGRATION}' GROUP BY application_name"
        )
        return {str(_value(r, 0, "a")): int(_value(r, 1, "n")) for r in cursor.fetchall()}


def _postgres_tracking(app: Any) -> PostgresTrackingRecorder:
    recorder = app.factory.tracking_recorder()
    assert isinstance(recorder, PostgresTrackingRecorder)
    return recorder


def chain_links(app: Any, stop: int, page: int = PAGE) -> Iterator[tuple[int, bytes]]:
    """(position, link) of the chain up to `stop`, in order, a page at a time."""
    after = 0
    while True:
        with app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT notification_id, hash FROM {CHAIN_TABLE} WHERE notification_id > {int(after)} "
                f"AND notification_id <= {int(stop)} ORDER BY notification_id LIMIT {int(page)}"
            )
            rows = [(int(_value(r, 0, "notification_id")), bytes(_value(r, 1, "hash"))) for r in cursor.fetchall()]
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def copy_store(
    source: Any,
    target: Any,
    expected: Contents,
    progress: Callable[[int], None] | None = None,
    page: int = PAGE,
) -> Contents:
    """Copy every event, chain link and tracked position of `source` (an
    SQLite store holding `expected`) into `target`, an empty PostgreSQL
    store, in one transaction. Refused (CopyRefused, nothing written) if the
    target is not empty, or if the source changed while it was read."""
    recorder = target.recorder
    if not isinstance(recorder, PostgresApplicationRecorder):
        raise CopyRefused("the target is not a PostgreSQL event store")
    tracking = _postgres_tracking(target)  # creates its table before the transaction
    schema = recorder.datastore.schema
    events_table = SQL("{}.{}").format(Identifier(schema), Identifier(recorder.events_table_name))
    chain_table = SQL("{}.{}").format(Identifier(schema), Identifier(CHAIN_TABLE))
    with recorder.datastore.transaction(commit=True) as cursor:
        # Writers wait for this lock (edflow takes it for every insert), so
        # nothing can be recorded into the target beside the copy.
        cursor.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events_table))
        found = _written(cursor, events_table, chain_table, tracked_positions(target))
        if not found.empty:
            raise CopyRefused(f"the target already holds {found.describe()}")
        copied = 0
        with cursor.copy(
            SQL("COPY {} (notification_id, originator_id, originator_version, topic, state) FROM STDIN").format(
                events_table
            )
        ) as rows:
            for notifications in pages(source, page=page, stop=expected.head):
                for n in notifications:
                    rows.write_row((n.id, n.originator_id, n.originator_version, n.topic, n.state))
                copied += len(notifications)
                if progress is not None:
                    progress(copied)
        with cursor.copy(SQL("COPY {} (notification_id, hash) FROM STDIN").format(chain_table)) as rows:
            for position, link in chain_links(source, expected.head, page):
                rows.write_row((position, link))
        for name, position in expected.tracked.items():
            cursor.execute(tracking.insert_tracking_statement, {"application_name": name, "notification_id": position})
        # New events continue after the copied ones.
        cursor.execute(
            SQL("SELECT setval(pg_get_serial_sequence({}, 'notification_id'), {}, {})").format(
                Literal(f'"{schema}"."{recorder.events_table_name}"'),
                Literal(max(expected.head, 1)),
                Literal(expected.head > 0),
            )
        )
        now = contents(source)
        if now != expected:
            raise CopyRefused(
                f"the source changed during the copy (it held {expected.describe()}, now {now.describe()}): "
                "stop every edflow process writing to it and copy again"
            )
        written = _written(cursor, events_table, chain_table)
        if (written.events, written.head, written.links) != (expected.events, expected.head, expected.links):
            raise CopyRefused(f"the copy holds {written.describe()}, the source {expected.describe()}")
    return contents(target)


def _written(cursor: Any, events_table: Any, chain_table: Any, tracked: dict[str, int] | None = None) -> Contents:
    cursor.execute(SQL("SELECT COUNT(*) AS n, COALESCE(MAX(notification_id), 0) AS head FROM {}").format(events_table))
    row = cursor.fetchone()
    cursor.execute(SQL("SELECT COUNT(*) AS n FROM {}").format(chain_table))
    return Contents(int(row["n"]), int(row["head"]), int(cursor.fetchone()["n"]), tracked or {})


def is_sqlite_store(path: Any) -> str | None:
    """None if `path` is an SQLite file holding an edflow event log; else why not."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        return f"not an SQLite database ({error})"
    if "stored_events" not in names:
        return "an SQLite database without edflow's stored_events table"
    return None
