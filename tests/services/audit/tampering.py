"""Tampering with a store as an attacker with database access would: straight
in SQL, outside edflow, without the chain key."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable
from uuid import UUID

import psycopg

from services.audit.chain import CHAIN_TABLE
from services.audit.verify import notifications

CHAIN = CHAIN_TABLE


def execute(app, settings, statement: str, params=()):
    """A statement on the events table ({table}); ids are notification ids."""
    table = app.recorder.events_table_name
    statement = statement.format(table=table)
    if settings.event_store == "sqlite":
        statement = statement.replace("notification_id", "rowid")
    _run(settings, statement, params)


def execute_chain(settings, statement: str, params=()):
    """A statement on the chain table ({chain})."""
    _run(settings, statement.format(chain=CHAIN), params)


def _run(settings, statement: str, params) -> None:
    if settings.event_store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(statement.replace("%s", "?"), params)
    else:
        with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
            conn.execute(statement, params)


def delete_with_link(app, settings, *positions: int) -> None:
    for position in positions:
        execute(app, settings, "DELETE FROM {table} WHERE notification_id = %s", (position,))
        execute_chain(settings, "DELETE FROM {chain} WHERE notification_id = %s", (position,))


def plain_link(previous: bytes, notification_id: int, event) -> bytes:
    """The unkeyed link edflow wrote before the chain was keyed (SHA-256),
    spelled out here so old-format rows do not depend on the code under test."""
    originator = event.originator_id
    digest = hashlib.sha256(previous)
    digest.update(struct.pack(">QQ", notification_id, event.originator_version))
    originator_bytes = originator.bytes if isinstance(originator, UUID) else str(originator).encode()
    for part in (originator_bytes, str(event.topic).encode(), event.state):
        digest.update(struct.pack(">I", len(part)))
        digest.update(part)
    return digest.digest()


def link_with(key: bytes) -> Callable[[bytes, int, object], bytes]:
    """A keyed-looking link under a key that is not the store's."""

    def make(previous: bytes, notification_id: int, event) -> bytes:
        mac = hmac.new(key, b"edflow chain v2\n" + previous, hashlib.sha256)
        return b"\x01" + mac.digest()

    return make


def rechain(app, settings, make_link=plain_link, start: int = 1) -> None:
    """Recompute every link from position `start` on and store it."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT hash FROM {CHAIN} WHERE notification_id < {start} ORDER BY notification_id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    previous = bytes(row[0] if not isinstance(row, dict) else row["hash"]) if row else b"\x00" * 32
    links = []
    for notification in notifications(app):
        if notification.id >= start:
            previous = make_link(previous, notification.id, notification)
            links.append((previous, notification.id))
    for link, position in links:
        execute_chain(settings, "UPDATE {chain} SET hash = %s WHERE notification_id = %s", (link, position))


def run_cli(settings, *args, **env: str):
    environment = {
        "EDFLOW_DATA_DIR": str(settings.data_dir),
        "EDFLOW_EVENT_STORE": settings.event_store,
        "EDFLOW_POSTGRES_DSN": settings.postgres_dsn,
        "PATH": "/usr/bin:/bin",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], capture_output=True, text=True, env=environment, timeout=120
    )
