"""The chain key and the checkpoint file live outside the data directory;
stores chained before keying still verify; a store cannot be verified (exit
2), nor continued, without its key; checkpoints are signed and taken on time."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from events.catalogue import Person
from services.audit import checkpoints
from services.audit.auto_checkpoints import AutoCheckpoints
from services.audit.keys import AuditConfigError, audit_dir, checkpoint_path, key_path
from services.audit.verify import verify
from services.hospital import Hospital
from tests.services.audit.tampering import execute, rechain, run_cli


def record(settings, clock, visits: range) -> None:
    app = Hospital(settings)
    try:
        for n in visits:
            app.arrive(clock.meta(role="intake"), f"V{n}", Person(family_name=f"Name{n}", sex="F"))
    finally:
        app.close()


def test_key_and_checkpoints_are_generated_beside_the_data_directory(settings, clock):
    record(settings, clock, range(2))
    key = key_path(settings)
    assert key.parent == audit_dir(settings) == settings.data_dir.resolve().with_name(settings.data_dir.name + "-audit")
    assert len(base64.b64decode(key.read_text())) == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not any(p.name in ("chain-key", "checkpoints.jsonl") for p in settings.data_dir.rglob("*"))
    assert [c.position for c in checkpoints.load(checkpoint_path(settings))] == [1]


def test_a_checkpoint_file_inside_the_data_directory_is_refused(settings, clock):
    inside = settings.data_dir / "audit-checkpoints.jsonl"
    with pytest.raises(AuditConfigError, match="inside the data directory"):
        Hospital(settings.model_copy(update={"checkpoint_file": inside}))
    record(settings, clock, range(1))
    result = run_cli(settings, "audit", "verify", EDFLOW_CHECKPOINT_FILE=str(inside))
    assert result.returncode == 2 and "is inside the data directory" in result.stderr + result.stdout
    given = run_cli(settings, "audit", "checkpoint", "--checkpoints", str(inside))
    assert given.returncode == 2 and "is inside the data directory" in given.stderr
    assert not inside.exists()


def test_a_key_file_inside_the_data_directory_is_refused(sqlite_settings):
    with pytest.raises(AuditConfigError, match="chain key file .* is inside the data directory"):
        Hospital(sqlite_settings.model_copy(update={"chain_key_file": sqlite_settings.data_dir / "chain-key"}))


def test_an_old_unkeyed_chain_still_verifies_and_keying_starts_after_it(settings, clock):
    record(settings, clock, range(4))
    app = Hospital(settings)
    try:
        # The store as the unkeyed version left it: plain SHA-256 links, no key,
        # no signed checkpoint, and a checkpoint line in the old format.
        rechain(app, settings)
        key_path(settings).unlink()
        checkpoint_path(settings).unlink()
        old = verify(app)
        assert old.intact and old.keyed_from is None and old.head_id == 4
        checkpoint_path(settings).write_text(json.dumps({"notification_id": 4, "hash": old.head_hash}) + "\n")
        app.arrive(clock.meta(role="intake"), "V9", Person(family_name="Later", sex="M"))
        known = checkpoints.load(checkpoint_path(settings))
        assert [(c.position, c.signed) for c in known] == [(4, False), (5, True)]
        report = verify(app, known)
        assert report.intact and report.keyed_from == 5 and report.checked == 5
        result = run_cli(settings, "audit", "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "keyed chain from position 5; the links before it are unkeyed SHA-256" in result.stdout
        assert "2 checkpoints matched (1 unsigned)" in result.stdout
        execute(app, settings, "UPDATE {table} SET state = %s WHERE notification_id = 2", (b"{}",))
        problem = verify(app, known).problem
        assert problem is not None and (problem.kind, problem.notification_id) == ("altered", 2)
    finally:
        app.close()


def test_a_keyed_store_without_its_key_is_neither_verified_nor_continued(settings, clock):
    record(settings, clock, range(3))
    key_path(settings).unlink()
    result = run_cli(settings, "audit", "verify")
    assert result.returncode == 2 and result.stdout.startswith(
        "CANNOT VERIFY: the checkpoints are signed, but no chain"
    )
    checkpoint_path(settings).unlink()
    result = run_cli(settings, "audit", "verify")
    assert (
        result.returncode == 2
        and "CANNOT VERIFY: the chain is keyed from position 1, but no chain key" in result.stdout
    )
    app = Hospital(settings)
    try:
        with pytest.raises(AuditConfigError, match="the event chain is keyed, but no chain key is available"):
            app.arrive(clock.meta(role="intake"), "V9", Person(family_name="Later", sex="M"))
    finally:
        app.close()
    assert not key_path(settings).exists()  # no fresh key was made for a keyed store


def test_another_key_cannot_verify(sqlite_settings, clock):
    record(sqlite_settings, clock, range(2))
    other = base64.b64encode(b"o" * 32).decode()
    result = run_cli(sqlite_settings, "audit", "verify", EDFLOW_CHAIN_KEY=other)
    assert result.returncode == 2 and "CANNOT VERIFY: the checkpoints were signed with another key" in result.stdout


def test_an_edited_checkpoint_is_caught(sqlite_settings, clock):
    record(sqlite_settings, clock, range(2))
    path = checkpoint_path(sqlite_settings)
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "position": 2}) + "\n")
    app = Hospital(sqlite_settings)
    try:
        problem = verify(app, checkpoints.load(path)).problem
    finally:
        app.close()
    assert problem is not None and problem.kind == "checkpoint-forged"
    assert "the checkpoint file was edited" in problem.detail


def test_the_relay_checkpoints_after_n_events_or_m_minutes(sqlite_settings, clock):
    settings = sqlite_settings.model_copy(update={"checkpoint_every_events": 3, "checkpoint_every_minutes": 10})
    record(settings, clock, range(7))
    now = [0.0]
    app = Hospital(settings)
    try:
        auto = AutoCheckpoints(app, settings, clock=lambda: now[0])
        taken = [p for p in range(1, 8) if auto.due(p) and auto.take(p)]
        assert taken == [4, 7]  # the chain start at 1, then every 3 positions
        assert not auto.due(7) and not auto.due(8)
        now[0] += 601
        assert auto.due(8) and not auto.due(7)
        known = checkpoints.load(checkpoint_path(settings))
        assert [(c.position, c.by) for c in known] == [(1, "chain start"), (4, "relay"), (7, "relay")]
        assert verify(app, known).intact
    finally:
        app.close()


def test_the_relay_refuses_to_sign_a_link_it_cannot_vouch_for(sqlite_settings, clock):
    record(sqlite_settings, clock, range(3))
    app = Hospital(sqlite_settings)
    try:
        execute(app, sqlite_settings, "UPDATE {table} SET state = %s WHERE notification_id = 3", (b"{}",))
        assert AutoCheckpoints(app, sqlite_settings).take(3) is None
        assert [c.position for c in checkpoints.load(checkpoint_path(sqlite_settings))] == [1]
    finally:
        app.close()
