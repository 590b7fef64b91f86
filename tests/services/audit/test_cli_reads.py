"""Replays and report exports from the command line are audited reads."""

from __future__ import annotations

import json

import pytest

from events.catalogue import Person
from services.audit.verify import verify
from services.hospital import Hospital
from tests.services.audit.test_tamper_evidence import run_cli


@pytest.fixture
def department(sqlite_settings, clock):
    app = Hospital(sqlite_settings)
    app.register_bed(clock.meta(), "A1", "Acute")
    app.arrive(clock.meta(role="intake"), "V1", Person(family_name="Doe", sex="F"), chief_complaint="fall")
    app.close()
    return sqlite_settings


def access_entries(settings):
    result = run_cli(settings, "audit", "access", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_replay_is_recorded_in_the_access_log(department):
    replay = run_cli(department, "replay", "--facility", "fac-1", "--json")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["events_read"] == 2
    [entry] = access_entries(department)
    assert (entry["resource"], entry["facility_id"], entry["role"]) == ("replay/store", "fac-1", "auditor")
    assert entry["actor_id"].startswith("os:")


def test_a_report_export_is_recorded_and_the_chain_still_holds(department, tmp_path):
    out = tmp_path / "schedule.csv"
    result = run_cli(department, "report", "schedule", "--facility", "fac-1", "--from", "2026-03-02", "--out", str(out))
    assert result.returncode == 0, result.stderr
    [entry] = access_entries(department)
    assert entry["resource"] == "report/schedule" and entry["resource_id"] == "2026-03-02..2026-03-02"
    app = Hospital(department)
    assert verify(app).intact
    app.close()
