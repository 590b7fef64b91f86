"""Scratch event stores for the benchmarks, and each store's raw commit rate
(the baseline a benchmark compares edflow's write path against)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from base.settings import Settings

STATE = b'{"fact":{"type":"PatientTriaged","esi":3}}' * 4


@contextmanager
def scratch_settings(store: str, root: Path, postgres_dsn: str = "", jwt_secret: str = "b" * 40) -> Iterator[Settings]:
    """Settings for an empty store: a SQLite file under `root`, or a new
    PostgreSQL database on the server of `postgres_dsn`, dropped afterwards."""
    root.mkdir(parents=True, exist_ok=True)
    if store == "sqlite":
        yield Settings(data_dir=root, jwt_secret=jwt_secret)
        return
    import psycopg

    name = f"edflow_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = postgres_dsn.rsplit("/", 1)[0] + "/" + name
        yield Settings(data_dir=root, event_store="postgres", postgres_dsn=dsn, jwt_secret=jwt_secret)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_commit_rate(settings: Settings, rows: int) -> float:
    """One INSERT + COMMIT per row into a plain table of the same store, with
    the settings eventsourcing's datastore uses: for SQLite a WAL journal and
    an autocommit connection with explicit BEGIN; for PostgreSQL a plain
    connection committing each row."""
    if settings.event_store == "sqlite":
        connection = sqlite3.connect(settings.data_dir / "raw.sqlite", isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL;")
        connection.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, originator_id BLOB, version INTEGER, state BLOB)")
        began = time.perf_counter()
        for n in range(rows):
            connection.execute("BEGIN")
            connection.execute(
                "INSERT INTO raw (originator_id, version, state) VALUES (?, ?, ?)", (n.to_bytes(16, "big"), 1, STATE)
            )
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - began
        connection.close()
        return rows / elapsed
    import psycopg

    with psycopg.connect(settings.postgres_dsn) as conn:
        conn.execute("CREATE TABLE raw (id BIGSERIAL PRIMARY KEY, originator_id BYTEA, version INT, state BYTEA)")
        conn.commit()
        began = time.perf_counter()
        for n in range(rows):
            conn.execute(
                "INSERT INTO raw (originator_id, version, state) VALUES (%s, %s, %s)", (n.to_bytes(16, "big"), 1, STATE)
            )
            conn.commit()
        return rows / (time.perf_counter() - began)


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--store sqlite|postgres|both and --postgres-dsn, as every store benchmark takes them."""
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-dsn", default=os.environ.get("EDFLOW_TEST_POSTGRES_DSN", ""))


def chosen_stores(args: argparse.Namespace) -> list[str]:
    """The stores to measure, or a one-line exit when PostgreSQL has no DSN."""
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    if "postgres" in stores and not args.postgres_dsn:
        raise SystemExit("PostgreSQL needs --postgres-dsn or EDFLOW_TEST_POSTGRES_DSN (or use --store sqlite)")
    return stores
