"""Editing, deleting or inserting a row in the event store is detected by
`audit verify` at the right event, on both stores."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import psycopg
import pytest

from events.catalogue import Person
from services.audit.verify import Problem, verify
from services.hospital import Hospital


@pytest.fixture
def recorded(settings, clock):
    app = Hospital(settings)
    app.register_bed(clock.meta(), "A1", "Acute")
    for n in range(6):
        app.arrive(clock.meta(role="intake"), f"V{n}", Person(family_name=f"Name{n}", sex="F"))
    yield app
    app.close()


def problem_found(app, anchors: dict[int, str] | None = None) -> Problem:
    problem = verify(app, anchors).problem
    assert problem is not None, "the log verified intact"
    return problem


def execute(app, settings, statement: str, params=()):
    """Tamper as an attacker with database access would: outside edflow."""
    table = app.recorder.events_table_name
    statement = statement.format(table=table)
    if settings.event_store == "sqlite":
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(statement.replace("%s", "?").replace("notification_id", "rowid"), params)
    else:
        with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
            conn.execute(statement, params)


def test_untouched_log_is_intact(recorded):
    report = verify(recorded)
    assert report.intact and report.checked == 7 and report.head_id == 7


def test_edited_event_is_named(recorded, settings):
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 4", (b'{"x":1}',))
    problem = problem_found(recorded)
    assert (problem.kind, problem.notification_id) == ("altered", 4)


def test_deleted_event_is_named(recorded, settings):
    execute(recorded, settings, "DELETE FROM {table} WHERE notification_id = 3")
    problem = problem_found(recorded)
    assert (problem.kind, problem.notification_id) == ("missing", 3)


def test_deleted_last_event_is_named(recorded, settings):
    execute(recorded, settings, "DELETE FROM {table} WHERE notification_id = 7")
    problem = problem_found(recorded)
    assert (problem.kind, problem.notification_id) == ("missing", 7)


def test_inserted_event_is_named(recorded, settings):
    execute(
        recorded,
        settings,
        "INSERT INTO {table} (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'edflow:Encounter.Created', %s)",
        (
            "6f2b8f39-52a4-4b8e-9d0c-4c3b3e1f9a10"
            if settings.event_store == "postgres"
            else "6f2b8f3952a44b8e9d0c4c3b3e1f9a10",
            b"{}",
        ),
    )
    problem = problem_found(recorded)
    assert (problem.kind, problem.notification_id) == ("inserted", 8)


def test_rewritten_chain_is_caught_by_an_external_checkpoint(recorded, settings):
    head = verify(recorded)
    assert head.head_id is not None and head.head_hash is not None
    anchors = {head.head_id: head.head_hash}
    # Rewrite the event AND recompute the chain after it, as a careful attacker would.
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 2", (b'{"x":1}',))
    rechain(recorded, settings)
    assert verify(recorded).intact  # the chain alone now agrees with itself...
    problem = problem_found(recorded, anchors)  # ...but not with the checkpoint kept elsewhere
    assert problem.kind == "checkpoint-mismatch"


def rechain(app, settings):
    from services.audit.chain import CHAIN_TABLE, GENESIS, link
    from services.audit.verify import notifications

    previous, links = GENESIS, []
    for notification in notifications(app):
        previous = link(previous, notification.id, notification)
        links.append((previous, notification.id))
    for digest, notification_id in links:
        if settings.event_store == "sqlite":
            with sqlite3.connect(settings.sqlite_path) as conn:
                conn.execute(f"UPDATE {CHAIN_TABLE} SET hash = ? WHERE notification_id = ?", (digest, notification_id))
        else:
            with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
                conn.execute(
                    f"UPDATE {CHAIN_TABLE} SET hash = %s WHERE notification_id = %s", (digest, notification_id)
                )


def run_cli(settings, *args):
    env = {
        "EDFLOW_DATA_DIR": str(settings.data_dir),
        "EDFLOW_EVENT_STORE": settings.event_store,
        "EDFLOW_POSTGRES_DSN": settings.postgres_dsn,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_checkpoint_then_verify_then_tamper(recorded, settings):
    checkpoint = run_cli(settings, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert json.loads(checkpoint.stdout)["notification_id"] == 7
    ok = run_cli(settings, "audit", "verify")
    assert ok.returncode == 0 and "intact: 7 events, 1 checkpoints matched" in ok.stdout
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 5", (b"{}",))
    bad = run_cli(settings, "audit", "verify")
    assert bad.returncode == 1
    assert "event 5 altered" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_cli_timeline_shows_actor_and_both_times(recorded, settings, clock):
    recorded.assign_bed(clock.meta(role="charge-nurse"), str(_visit_id(recorded)), "A1")
    result = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--visit", "V0", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in rows] == ["PatientArrived", "BedAssigned", "BedOccupied"]
    assert rows[1]["role"] == "charge-nurse" and rows[0]["role"] == "intake"
    assert all(r["occurred_at"] and r["recorded_at"] for r in rows)
    assert "Name0" not in result.stdout


def test_cli_timeline_unknown_visit_is_one_line(recorded, settings):
    result = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--visit", "NOPE")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not found" in result.stderr


def _visit_id(app):
    from services.ed.application import encounter_id_for

    return encounter_id_for("fac-1", "V0")


def test_timeline_reads_are_in_the_access_log_and_chained(recorded, settings):
    assert run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--visit", "V2").returncode == 0
    result = run_cli(settings, "audit", "access", "--facility", "fac-1", "--json")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["resource"], e["resource_id"], e["role"]) for e in entries] == [("timeline", "V2", "auditor")]
    assert verify(recorded).intact and verify(recorded).checked == 8


def test_access_log_bad_time_is_one_line(recorded, settings):
    result = run_cli(settings, "audit", "access", "--since", "yesterday")
    assert result.returncode == 2 and "ISO 8601" in result.stderr and "Traceback" not in result.stderr
