"""`edflow store copy`: an SQLite store moved into an empty PostgreSQL database
(a fresh one per test, on the real server) keeps its hash chain, its
positions, its receipts and the relay's position, and answers `audit verify`
and `replay` as the SQLite store does."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Tracking

from base.settings import Settings
from events.catalogue import Person
from services.audit.verify import verify
from services.hospital import Hospital
from tests.conftest import FIXTURES, T0, Clock
from tests.services.audit.tampering import execute

LAST_RECORDED = "2026-12-05T21:06:42.218907+00:00"
RUN_FIELDS = ("events_read", "source")
SECRET = "s" * 40
# The events table eventsourcing names after the application class.
EVENTS = "hospital_events"


def edflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    return {**env, "EDFLOW_DATA_DIR": str(data_dir), "EDFLOW_JWT_SECRET": SECRET, **extra}


def on_postgres(env: dict[str, str], dsn: str) -> dict[str, str]:
    return {**env, "EDFLOW_EVENT_STORE": "postgres", "EDFLOW_POSTGRES_DSN": dsn}


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def event_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT to_regclass(%s)", (EVENTS,)).fetchone()
        if found is None or found[0] is None:
            return 0
        counted = conn.execute(f"SELECT COUNT(*) FROM {EVENTS}").fetchone()
        assert counted is not None
        return counted[0]


@pytest.fixture
def old_store(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    data.mkdir()
    with gzip.open(FIXTURES / "stores" / "edflow-0.1-two-days.sqlite.gz") as packed:
        with open(data / "events.sqlite", "wb") as out:
            shutil.copyfileobj(packed, out)
    return environment(data)


def board(env: dict[str, str]) -> dict:
    done = edflow(env, "replay", "--by", "recorded", "--at", LAST_RECORDED, "--facility", "demo", "--json")
    assert done.returncode == 0, done.stderr
    view = json.loads(done.stdout)
    for field in RUN_FIELDS:
        view.pop(field, None)
    return view


def test_the_old_store_copies_verifies_and_replays_alike(old_store, fresh_postgres_dsn):
    done = edflow(old_store, "store", "copy", "--to", fresh_postgres_dsn)
    assert done.returncode == 0, done.stderr
    assert "copied 2444 events, 2444 chain links" in done.stdout
    assert "matches the source" in done.stdout
    target = on_postgres(old_store, fresh_postgres_dsn)
    on_sqlite, on_pg = edflow(old_store, "audit", "verify"), edflow(target, "audit", "verify")
    assert on_sqlite.returncode == on_pg.returncode == 0, on_pg.stdout + on_pg.stderr
    assert on_pg.stdout == on_sqlite.stdout
    assert "intact: 2444 events, head at position 2444" in on_pg.stdout
    # Event names stored by edflow 0.1 resolve from PostgreSQL too: the same board.
    expected = json.loads((FIXTURES / "stores" / "edflow-0.1-two-days.replay.json").read_text())
    for field in RUN_FIELDS:
        expected.pop(field, None)
    assert board(target) == board(old_store) == expected


def fresh_store(data: Path, **settings: Any) -> tuple[Settings, str, int]:
    """A store written by today's code: beds, a visit, a receipt, a relay position."""
    config = Settings(data_dir=data, jwt_secret=SECRET, **settings)
    app = Hospital(config)
    clock = Clock()
    for bed in ("A1", "A2"):
        app.register_bed(clock.meta("demo"), bed, "Acute")
    encounter = app.arrive(
        clock.meta("demo", role="intake"), "V1", Person(family_name="Zebulon", sex="F"), chief_complaint="chest pain"
    ).id
    app.triage(clock.meta("demo"), encounter, 2)
    app.assign_bed(clock.meta("demo"), encounter, "A1", idempotency_key="k-1", request={"bed": "A1"})
    head = app.recorder.max_notification_id()
    assert head is not None
    app.factory.tracking_recorder().insert_tracking(Tracking("kafka-relay", head - 1))
    app.close()
    return config, encounter, head


def test_a_fresh_store_copies_with_receipts_relay_position_and_checkpoints(tmp_path, fresh_postgres_dsn):
    data = tmp_path / "data"
    config, encounter, head = fresh_store(data)
    env = environment(data)
    assert edflow(env, "audit", "checkpoint").returncode == 0
    done = edflow(env, "store", "copy", "--from", f"sqlite:{data / 'events.sqlite'}", "--to", fresh_postgres_dsn)
    assert done.returncode == 0, done.stderr
    assert f"kafka-relay at position {head - 1}" in done.stdout
    target = on_postgres(env, fresh_postgres_dsn)
    verified = edflow(target, "audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert verified.stdout == edflow(env, "audit", "verify").stdout
    # The chain-start checkpoint and the one just taken, both over the copy.
    assert f"2 checkpoints matched, the newest at position {head}" in verified.stdout

    app = Hospital(config.model_copy(update={"event_store": "postgres", "postgres_dsn": fresh_postgres_dsn}))
    try:
        assert app.factory.tracking_recorder().max_tracking_id("kafka-relay") == head - 1
        clock = Clock(start=T0 + timedelta(hours=1))
        # The receipt came along: a retry answers from it and records nothing.
        again = app.assign_bed(clock.meta("demo"), encounter, "A1", idempotency_key="k-1", request={"bed": "A1"})
        assert again.events and app.recorder.max_notification_id() == head
        # New events continue the log and its chain.
        app.triage(clock.meta("demo"), encounter, 3)
        assert app.recorder.max_notification_id() == head + 1
        assert verify(app).intact
    finally:
        app.close()


def test_an_encrypted_store_is_copied_as_cipher_text(tmp_path, fresh_postgres_dsn):
    key = AESCipher.create_key(32)
    data = tmp_path / "data"
    config, encounter, _ = fresh_store(data, cipher_key=key)
    env = environment(data, EDFLOW_CIPHER_KEY=key)
    done = edflow(env, "store", "copy", "--to", fresh_postgres_dsn)
    assert done.returncode == 0, done.stderr
    assert "still encrypted" in done.stdout, done.stdout
    with sqlite3.connect(config.sqlite_path) as conn:
        source = [bytes(r[0]) for r in conn.execute("SELECT state FROM stored_events ORDER BY rowid")]
    with psycopg.connect(fresh_postgres_dsn) as conn:
        copied = [bytes(r[0]) for r in conn.execute(f"SELECT state FROM {EVENTS} ORDER BY notification_id")]
    assert copied == source
    assert b"Zebulon" not in b"".join(copied)
    app = Hospital(config.model_copy(update={"event_store": "postgres", "postgres_dsn": fresh_postgres_dsn}))
    try:
        assert app.encounter("demo", encounter).esi == 2
        assert verify(app).intact
    finally:
        app.close()


def test_a_tampered_source_is_not_copied(tmp_path, fresh_postgres_dsn):
    data = tmp_path / "data"
    config, _, _ = fresh_store(data)
    app = Hospital(config)
    execute(app, config, "UPDATE {table} SET state = %s WHERE notification_id = 2", (b"{}",))
    app.close()
    line = one_line_error(edflow(environment(data), "store", "copy", "--to", fresh_postgres_dsn))
    assert "not copied: the source store is not intact (altered at event 2)" in line
    assert event_rows(fresh_postgres_dsn) == 0


def test_a_target_that_holds_events_is_refused(old_store, fresh_postgres_dsn):
    assert edflow(old_store, "store", "copy", "--to", fresh_postgres_dsn).returncode == 0
    line = one_line_error(edflow(old_store, "store", "copy", "--to", fresh_postgres_dsn))
    assert "the target database already holds 2444 events" in line
    assert "copy into an empty database" in line
    assert event_rows(fresh_postgres_dsn) == 2444


def test_bad_source_and_target_are_one_line_errors(old_store, tmp_path, fresh_postgres_dsn):
    base = fresh_postgres_dsn.rsplit("/", 1)[0]
    cases = {
        ("--to", "mysql://db/edflow"): "give a postgresql://",
        ("--to", base + "/edflow_no_such_database"): 'database "edflow_no_such_database" does not exist',
        ("--to", "postgresql://edflow:wrong@127.0.0.1:1/edflow"): "cannot connect to postgresql://edflow:***@",
        ("--from", str(tmp_path / "nowhere"), "--to", fresh_postgres_dsn): "no such file or directory",
        ("--from", str(tmp_path), "--to", fresh_postgres_dsn): "no SQLite event store at",
    }
    (tmp_path / "not-a-store").mkdir()
    (tmp_path / "not-a-store" / "events.sqlite").write_text("hello")
    cases[("--from", str(tmp_path / "not-a-store"), "--to", fresh_postgres_dsn)] = "is not an SQLite database"
    for args, expected in cases.items():
        line = one_line_error(edflow(old_store, "store", "copy", *args))
        assert expected in line, line
        assert "wrong" not in line
    assert event_rows(fresh_postgres_dsn) == 0
