"""Where the event store is: the eventsourcing environment our settings describe."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import unquote, urlparse

from eventsourcing.persistence import IntegrityError, InternalError

from base.private_files import private_dir, private_file, tighten
from base.settings import Settings

T = TypeVar("T")


def store_environment(settings: Settings) -> dict[str, str]:
    env = {"CREATE_TABLE": "y"}
    if settings.event_store == "postgres":
        settings.require_postgres()
        dsn = urlparse(settings.postgres_dsn)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=dsn.path.lstrip("/"),
            POSTGRES_HOST=dsn.hostname or "127.0.0.1",
            POSTGRES_PORT=str(dsn.port or 5432),
            POSTGRES_USER=unquote(dsn.username or ""),
            POSTGRES_PASSWORD=unquote(dsn.password or ""),
            # eventsourcing retries a failed connection ten times: keep each
            # try short so an outage is answered (503) in seconds, not minutes.
            POSTGRES_CONNECT_TIMEOUT="3",
        )
        if settings.hash_chain:
            env["APPLICATION_RECORDER_TOPIC"] = "services.audit.chain:ChainedPostgresRecorder"
    else:
        private_dir(settings.data_dir)
        # The store file exists 0600 before SQLite opens it, so the -wal and
        # -shm files SQLite creates take its mode; older ones are tightened.
        private_file(settings.sqlite_path)
        for companion in ("-wal", "-shm", "-journal"):
            tighten(settings.sqlite_path.with_name(settings.sqlite_path.name + companion))
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(settings.sqlite_path),
        )
        if settings.hash_chain:
            env["APPLICATION_RECORDER_TOPIC"] = "services.audit.chain:ChainedSQLiteRecorder"
    if settings.cipher_key:
        env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=settings.cipher_key)
    return env


def created_despite_others(create: Callable[[], T], attempts: int = 6) -> T:
    """`create` (a recorder: it creates its tables, types and functions), tried
    again when it collides with another process opening the same PostgreSQL
    store at the same moment: two that replace one function fail with "tuple
    concurrently updated", two that create one table with a unique violation.
    The other process has done the work, so the next try passes."""
    for attempt in range(1, attempts + 1):
        try:
            return create()
        except (InternalError, IntegrityError):
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt + random.uniform(0, 0.1))
    raise AssertionError("unreachable")
