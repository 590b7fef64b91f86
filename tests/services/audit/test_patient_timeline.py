"""A patient's timeline across visits: every event of every visit and
appointment that carried the MRN, in order, with corrections linked to what
they corrected; and the same links in one visit's timeline. On SQLite and
PostgreSQL (the `hospital` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from events.catalogue import PatientDetailsUpdated, Person
from events.envelope import Actor
from services.audit.timeline import patient_timeline, visit_timeline
from services.errors import Invalid, NotFound
from services.recording import Meta
from tests.services.audit.tampering import run_cli

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ANA = Person(mrn="M-100", family_name="Orr", given_name="Ana", sex="F", age_years=40)
BO = Person(mrn="M-200", family_name="Lee", given_name="Bo", sex="M", age_years=70)


def meta(minutes: float, actor: str = "desk-ben", role: str = "intake") -> Meta:
    return Meta(facility_id="fac-1", occurred_at=T + timedelta(minutes=minutes), actor=Actor(id=actor, role=role))


@pytest.fixture
def history(hospital):
    """Two visits and an appointment of M-100, a visit of M-200 between them,
    and a visit of M-100 in another facility."""
    app = hospital
    app.register_bed(meta(0, "nurse-ana", "charge-nurse"), "A1", "Acute")
    first = app.arrive(meta(10), "V1", ANA, chief_complaint="chest pain").id
    other = app.arrive(meta(12), "V2", BO, chief_complaint="fall").id
    app.triage(meta(15, "nurse-ana", "charge-nurse"), first, 2)
    app.assign_bed(meta(20, "nurse-ana", "charge-nurse"), first, "A1")
    app.triage(meta(21, "nurse-ana", "charge-nurse"), other, 4)
    app.discharge(meta(60, "dr-kim", "provider"), first, "home")
    app.cancel_discharge(meta(65, "dr-kim", "provider"), first, "wrong patient")
    correction = PatientDetailsUpdated(chief_complaint="abdominal pain")
    app.update_details(meta(200, "nurse-2", "charge-nurse"), first, correction)
    booked = app.book(
        meta(300, "sched-sue", "scheduler"), ANA, "dr-1", "cardiology", "outpatient-visit",
        T + timedelta(days=7), T + timedelta(days=7, minutes=30), appointment_id="APT-1",
    ).id  # fmt: skip
    # Documented late: it happened before the first visit, recorded after all of the above.
    second = app.arrive(meta(-600), "V0", ANA, chief_complaint="cough").id
    elsewhere = Meta(facility_id="fac-2", occurred_at=T, actor=Actor(id="desk-ben", role="intake"))
    app.arrive(elsewhere, "V9", ANA, chief_complaint="elsewhere")
    return {"first": first, "other": other, "second": second, "appointment": booked}


def test_every_event_of_the_mrn_is_there_in_occurred_order_and_nothing_else(hospital, history):
    found, rows = patient_timeline(hospital, "fac-1", "M-100")
    assert {(r.kind, r.reference) for r in found} == {("visit", "V1"), ("visit", "V0"), ("appointment", "APT-1")}
    records = {row["record_id"] for row in rows}
    assert history["other"] not in records and str(history["other"]) not in records
    assert "fall" not in " ".join(row["summary"] for row in rows)  # M-200's visit stays out
    assert "elsewhere" not in " ".join(row["summary"] for row in rows)  # and fac-2's
    occurred = [row["occurred_at"] for row in rows]
    assert occurred == sorted(occurred)
    assert rows[0]["reference"] == "V0" and rows[0]["type"] == "PatientArrived"
    types = [(row["reference"], row["type"]) for row in rows]
    assert types[1:8] == [
        ("V1", "PatientArrived"),
        ("V1", "PatientTriaged"),
        ("V1", "BedAssigned"),
        ("V1", "BedOccupied"),  # the bed's own event, named after the visit
        ("V1", "PatientDischarged"),
        ("V1", "BedReleased"),
        ("V1", "DischargeCancelled"),
    ]
    assert ("APT-1", "AppointmentBooked") in types and ("APT-1", "ProviderTimeReserved") in types
    assert all(row["actor"] and row["role"] and row["recorded_at"] for row in rows)


def test_recorded_order_puts_the_late_visit_last(hospital, history):
    _, rows = patient_timeline(hospital, "fac-1", "M-100", by="recorded")
    assert rows[-1]["reference"] == "V0"
    recorded = [row["recorded_at"] for row in rows]
    assert recorded == sorted(recorded)


def test_a_complaint_correction_names_what_it_corrected_with_both_values(hospital, history):
    _, rows = patient_timeline(hospital, "fac-1", "M-100")
    [fix] = [row for row in rows if row["type"] == "PatientDetailsUpdated"]
    [arrival] = [row for row in rows if row["type"] == "PatientArrived" and row["reference"] == "V1"]
    assert fix["correction"] and fix["corrects"] == [arrival["event_id"]]
    assert fix["changes"] == [
        {"field": "chief_complaint", "before": "chest pain", "after": "abdominal pain", "set_by": arrival["event_id"]}
    ]
    note = fix["correction_note"]
    assert note.startswith("chief complaint: 'chest pain' → 'abdominal pain', corrected by nurse-2 (charge-nurse) at ")
    [by] = arrival["corrected_by"]
    assert (by["event_id"], by["actor"], by["role"]) == (fix["event_id"], "nurse-2", "charge-nurse")


def test_a_cancelled_discharge_is_linked_to_the_discharge(hospital, history):
    _, rows = patient_timeline(hospital, "fac-1", "M-100")
    [discharge] = [row for row in rows if row["type"] == "PatientDischarged"]
    [cancel] = [row for row in rows if row["type"] == "DischargeCancelled"]
    assert cancel["corrects"] == [discharge["event_id"]]
    assert cancel["changes"][0]["before"] == "discharged: home" and cancel["changes"][0]["after"] == "cancelled"
    assert [c["event_id"] for c in discharge["corrected_by"]] == [cancel["event_id"]]
    assert "corrected by dr-kim (provider)" in cancel["correction_note"]


def test_late_documentation_is_flagged(hospital, history):
    _, rows = patient_timeline(hospital, "fac-1", "M-100")
    # Every event here happened in March and was recorded now: all are late.
    assert all(row["late"] and row["late_by_minutes"] > 0 for row in rows)


def test_the_visit_timeline_shows_the_same_links(hospital, history):
    rows = visit_timeline(hospital, "fac-1", "V1")
    assert {row["reference"] for row in rows} == {"V1"}
    [fix] = [row for row in rows if row["type"] == "PatientDetailsUpdated"]
    [arrival] = [row for row in rows if row["type"] == "PatientArrived"]
    assert fix["corrects"] == [arrival["event_id"]] and arrival["corrected_by"][0]["event_id"] == fix["event_id"]
    assert [row["position"] for row in rows] == sorted(row["position"] for row in rows)


def test_an_mrn_correction_keeps_the_visit_on_both_mrns(hospital, history):
    fix = PatientDetailsUpdated(patient=Person(mrn="M-300", family_name="Pike"))
    hospital.update_details(meta(400, "desk-ben", "intake"), history["second"], fix)
    _, rows = patient_timeline(hospital, "fac-1", "M-300")
    assert {row["reference"] for row in rows} == {"V0"}
    assert [(c["field"], c["before"], c["after"]) for c in rows[-1]["changes"]] == [
        ("mrn", "M-100", "M-300"),
        ("family_name", "O.", "P."),  # a name by its initial only
    ]
    assert "Orr" not in str(rows) and "Pike" not in str(rows)
    _, rows = patient_timeline(hospital, "fac-1", "M-100")
    assert "V0" in {row["reference"] for row in rows}


def test_an_unknown_mrn_is_not_found_and_a_malformed_one_is_invalid(hospital, history):
    with pytest.raises(NotFound):
        patient_timeline(hospital, "fac-1", "M-999")
    with pytest.raises(NotFound):
        patient_timeline(hospital, "fac-3", "M-100")
    for bad in ("", "   ", "M\u202e100", "M" * 65):
        with pytest.raises(Invalid):
            patient_timeline(hospital, "fac-1", bad)


def test_the_cli_prints_the_patients_timeline_and_logs_the_read(history, settings):
    result = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--mrn", "M-100", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["reference"] == "V0" and {row["reference"] for row in rows} == {"V0", "V1", "APT-1"}
    table = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--mrn", "M-100", COLUMNS="250")
    assert table.returncode == 0, table.stderr
    assert "corrected by nurse-2" in table.stdout and "Orr" not in table.stdout
    access = run_cli(settings, "audit", "access", "--record", "M-100", "--json")
    entries = [json.loads(line) for line in access.stdout.splitlines()]
    assert [(e["action"], e["resource"]) for e in entries] == [
        ("read", "patient-timeline"),
        ("disclosed", "patient-timeline"),
    ] * 2
    assert entries[1]["disclosed"] == [  # in the order they were first recorded
        f"Encounter/{history['first']}",
        "Appointment/APT-1",
        f"Encounter/{history['second']}",
    ]


def test_the_cli_says_in_one_line_what_is_wrong(history, settings):
    for mrn, words in (("M-999", "no visit or appointment with that MRN"), ("M\u202e1", "--mrn: contains U+202E")):
        result = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--mrn", mrn)
        assert result.returncode == 2 and words in result.stderr, result.stderr
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    both = run_cli(settings, "audit", "timeline", "--facility", "fac-1", "--mrn", "M-100", "--visit", "V1")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
