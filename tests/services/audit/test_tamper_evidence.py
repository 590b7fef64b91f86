"""Editing, deleting or inserting a row in the event store, cutting the log
short or recomputing the chain is detected by `audit verify` at the right
position and in the right words, on both stores."""

from __future__ import annotations

import json

import pytest

from deploy.audit_verify import NO_CHECKPOINT
from events.catalogue import Person
from services.audit import checkpoints
from services.audit.auto_checkpoints import AutoCheckpoints
from services.audit.keys import checkpoint_path
from services.audit.verify import Problem, verify
from services.hospital import Hospital
from tests.services.audit.tampering import delete_with_link, execute, link_with, rechain, run_cli

__all__ = ["run_cli"]


@pytest.fixture
def recorded(settings, clock):
    app = Hospital(settings)
    app.register_bed(clock.meta(), "A1", "Acute")
    for n in range(6):
        app.arrive(clock.meta(role="intake"), f"V{n}", Person(family_name=f"Name{n}", sex="F"))
    yield app
    app.close()


def saved_checkpoints(settings) -> list[checkpoints.Checkpoint]:
    return checkpoints.load(checkpoint_path(settings))


def problem_found(app, settings, with_checkpoints: bool = True) -> Problem:
    problem = verify(app, saved_checkpoints(settings) if with_checkpoints else ()).problem
    assert problem is not None, "the log verified intact"
    return problem


def test_untouched_log_is_intact(recorded, settings):
    [start] = saved_checkpoints(settings)
    assert (start.position, start.by, start.signed) == (1, "chain start", True)
    report = verify(recorded, [start])
    assert report.intact and report.checked == 7 and report.head_id == 7 and report.keyed_from == 1


def test_edited_event_is_named(recorded, settings):
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 4", (b'{"x":1}',))
    problem = problem_found(recorded, settings)
    assert (problem.kind, problem.notification_id) == ("altered", 4)
    assert "link mismatch at position 4" in problem.detail


def test_deleted_event_is_named(recorded, settings):
    execute(recorded, settings, "DELETE FROM {table} WHERE notification_id = 3")
    problem = problem_found(recorded, settings)
    assert (problem.kind, problem.notification_id) == ("missing", 3)


def test_deleted_middle_event_with_its_chain_link_is_named_missing(recorded, settings):
    delete_with_link(recorded, settings, 3)
    problem = problem_found(recorded, settings, with_checkpoints=False)
    assert (problem.kind, problem.notification_id) == ("missing", 3)
    assert problem.detail.startswith("event 3 missing: deleted together with its chain link")


def test_deleted_middle_events_with_their_links_are_counted(recorded, settings):
    delete_with_link(recorded, settings, 3, 4)
    problem = problem_found(recorded, settings, with_checkpoints=False)
    assert (problem.kind, problem.notification_id) == ("missing", 3)
    assert problem.detail.startswith("events 3-4 missing (2 events)")


def test_deleted_last_event_is_named(recorded, settings):
    execute(recorded, settings, "DELETE FROM {table} WHERE notification_id = 7")
    problem = problem_found(recorded, settings)
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
    problem = problem_found(recorded, settings)
    assert (problem.kind, problem.notification_id) == ("inserted", 8)


def test_deleting_the_newest_events_with_their_links_is_truncation(recorded, settings):
    taken = run_cli(settings, "audit", "checkpoint")
    assert taken.returncode == 0, taken.stderr
    delete_with_link(recorded, settings, 6, 7)
    result = run_cli(settings, "audit", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT INTACT (truncated): 2 events missing at the end since the checkpoint of " in result.stdout
    assert "the log ends at position 5, the checkpoint recorded position 7" in result.stdout


def test_truncation_is_caught_after_new_events_are_appended(recorded, settings, clock):
    assert AutoCheckpoints(recorded, settings).take(7) is not None
    delete_with_link(recorded, settings, 6, 7)
    recorded.arrive(clock.meta(role="intake"), "V9", Person(family_name="Later", sex="M"))
    problem = problem_found(recorded, settings)
    assert problem.kind in ("truncated", "missing") and problem.notification_id in (6, 7)


def test_recomputed_whole_chain_is_caught_by_the_chain_start_checkpoint(recorded, settings):
    # Rewrite the event AND recompute the whole chain after it, as a careful
    # attacker would who knows the unkeyed format but not the key.
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 2", (b'{"x":1}',))
    rechain(recorded, settings)
    problem = problem_found(recorded, settings)
    assert (problem.kind, problem.notification_id) == ("recomputed", 1)
    assert "recorded a keyed link at position 1, the store now holds an unkeyed one" in problem.detail
    result = run_cli(settings, "audit", "verify")
    assert result.returncode == 1 and "NOT INTACT (recomputed): chain recomputed without the key" in result.stdout


@pytest.mark.parametrize("relink", ["unkeyed", "another key"])
def test_chain_recomputed_after_an_edit_fails_without_any_checkpoint(recorded, settings, relink):
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 4", (b'{"x":1}',))
    if relink == "unkeyed":
        rechain(recorded, settings, start=4)
    else:
        rechain(recorded, settings, link_with(b"k" * 32), start=4)
    problem = problem_found(recorded, settings, with_checkpoints=False)
    assert (problem.kind, problem.notification_id) == ("recomputed", 4)
    assert problem.detail.startswith("chain recomputed without the key")


def test_chain_recomputed_from_the_start_under_another_key(recorded, settings):
    rechain(recorded, settings, link_with(b"k" * 32))
    # Without a checkpoint this looks the same as holding the wrong key ...
    alone = verify(recorded)
    assert alone.problem is None and "probably not this store's chain key" in (alone.unverifiable or "")
    # ... the signed checkpoint confirms the key, so the chain was rewritten.
    problem = problem_found(recorded, settings)
    assert (problem.kind, problem.notification_id) == ("recomputed", 1)


def test_cli_intact_store_and_the_missing_checkpoint_warning(recorded, settings):
    ok = run_cli(settings, "audit", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    lines = ok.stdout.splitlines()
    assert lines[0].startswith("intact: 7 events, head at position 7")
    assert lines[1] == "keyed chain (HMAC-SHA256) over every event"
    assert lines[2].startswith("1 checkpoint matched, the newest at position 1 of ")
    checkpoint_path(settings).unlink()
    bare = run_cli(settings, "audit", "verify")
    assert bare.returncode == 0 and bare.stdout.splitlines()[-1] == NO_CHECKPOINT


def test_cli_checkpoint_then_verify_then_tamper(recorded, settings):
    checkpoint = run_cli(settings, "audit", "checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr
    taken = json.loads(checkpoint.stdout)
    assert (taken["position"], taken["by"]) == (7, "audit checkpoint") and taken["mac"]
    ok = run_cli(settings, "audit", "verify")
    assert ok.returncode == 0 and "2 checkpoints matched, the newest at position 7" in ok.stdout
    execute(recorded, settings, "UPDATE {table} SET state = %s WHERE notification_id = 5", (b"{}",))
    bad = run_cli(settings, "audit", "verify")
    assert bad.returncode == 1
    assert "NOT INTACT (altered): event 5 altered" in bad.stdout
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
