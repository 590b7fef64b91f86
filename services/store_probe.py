"""Which of many aggregates exist, in one store query.

Applying an HL7 message reads several aggregates that are usually not there
yet: its ACK receipt, its steps' receipts (and where receipts were kept
before they were scoped by caller), the visit it registers, the bed it names.
Each read is a store round trip of its own. Inside a unit of work
(`HospitalBase.one_transaction`), `probe` asks the store once which of a
message's (or a whole import chunk's) likely reads exist; the unit then
answers "not there" for the others without asking again.

Safe for the unit's own writes: a unit that writes an aggregate it saw as
absent writes its version 1, and if another writer created it since the
probe, the store refuses the whole unit (IntegrityError) and the caller
applies the messages again, step by step, against fresh reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from services.application import HospitalBase

# Ids per query: well under SQLite's limit of bound parameters.
PER_QUERY = 500


def probe(app: HospitalBase, ids: Iterable[uuid.UUID]) -> None:
    """Inside `app.one_transaction()`, learn in one query which of `ids` are
    absent from the store; outside a unit of work, do nothing."""
    unit = app.units.current
    if unit is None:
        return
    asked = unit.to_probe(ids)
    if asked:
        unit.note_absent(asked - stored_ids(app.recorder, asked))


def stored_ids(recorder: Any, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among `ids` that have at least one event in `recorder`'s store."""
    found: set[uuid.UUID] = set()
    chunks = [list(ids)[start : start + PER_QUERY] for start in range(0, len(ids), PER_QUERY)]
    if hasattr(recorder.datastore, "schema"):  # PostgreSQL
        from psycopg.sql import SQL, Identifier

        statement = SQL("SELECT DISTINCT originator_id FROM {}.{} WHERE originator_id = ANY(%s)").format(
            Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            for chunk in chunks:
                curs.execute(statement, [chunk])
                found.update(uuid.UUID(str(row["originator_id"])) for row in curs.fetchall())
        return found
    with recorder.datastore.transaction(commit=False) as cursor:
        for chunk in chunks:
            marks = ",".join("?" * len(chunk))
            cursor.execute(
                f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} WHERE originator_id IN ({marks})",
                [aggregate_id.hex for aggregate_id in chunk],
            )
            found.update(uuid.UUID(row["originator_id"]) for row in cursor.fetchall())
    return found
