"""A patient's timeline follows merges: asked for either MRN, it holds the
records of both, and the merge itself is a row with who, when and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.catalogue import Person
from events.envelope import Actor
from services.audit.timeline import merge_group, patient_timeline
from services.recording import Meta

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def meta(minutes: float, actor: str = "desk-ben", role: str = "intake") -> Meta:
    return Meta(facility_id="fac-1", occurred_at=T + timedelta(minutes=minutes), actor=Actor(id=actor, role=role))


def test_a_merged_mrns_records_appear_under_the_survivor_with_the_merge(hospital):
    hospital.arrive(meta(0), "V1", Person(mrn="M-1", family_name="Orr"))
    hospital.arrive(meta(5), "V2", Person(mrn="M-2", family_name="Orr"))
    start = T + timedelta(days=3)
    hospital.book(meta(6, "sched-sue", "scheduler"), Person(mrn="M-2"), "dr-1", "clinic", "outpatient-visit", start,
                  start + timedelta(minutes=30), appointment_id="APT-2")  # fmt: skip
    hospital.merge_patients(meta(10, "sched-sue", "scheduler"), "M-2", "M-1", "duplicate registration")
    assert merge_group(hospital, "fac-1", "M-2") == ["M-1", "M-2"]
    for asked in ("M-1", "M-2"):
        records, rows = patient_timeline(hospital, "fac-1", asked)
        kinds = {(r.kind, r.reference) for r in records}
        assert {("visit", "V1"), ("visit", "V2"), ("appointment", "APT-2")} <= kinds
        assert {("patient", "M-1"), ("patient", "M-2")} <= kinds
        merges = [row for row in rows if row["type"] == "PatientRecordsMerged"]
        assert {row["reference"] for row in merges} == {"M-1", "M-2"}  # shown in both records' history
        assert all(row["actor"] == "sched-sue" and "duplicate registration" in row["summary"] for row in merges)
        assert "merged into M-1" in merges[0]["summary"] and "Orr" not in str(rows)
        assert [r.ref() for r in records if r.kind == "patient"] == ["Patient/M-1", "Patient/M-2"]


def test_the_cli_timeline_of_a_merged_mrn_shows_the_survivors_records_and_the_merge(hospital, settings):
    import json

    from tests.services.audit.tampering import run_cli

    hospital.arrive(meta(0), "V1", Person(mrn="M-1"))
    hospital.arrive(meta(5), "V2", Person(mrn="M-2"))
    hospital.merge_patients(meta(10, "sched-sue", "scheduler"), "M-2", "M-1", "duplicate")
    result = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--mrn", "M-2", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["reference"] for r in rows} == {"V1", "V2", "M-1", "M-2"}
    assert [r["actor"] for r in rows if r["type"] == "PatientRecordsMerged"] == ["sched-sue", "sched-sue"]
