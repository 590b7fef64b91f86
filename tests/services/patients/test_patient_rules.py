"""The patient index's rules: registrations, bookings and updates feed one
record per MRN; a merge moves the duplicate's visits and appointments to the
survivor and shows in both records' history; refusals (unknown MRN, a merge
into itself, into or of a merged record, a change of a merged record) record
nothing. On SQLite and PostgreSQL (the `hospital` fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from events.catalogue import Contact, Coverage, PatientDetailsUpdated, Person
from services.errors import Conflict, Invalid, NotFound
from services.patients.commands import MergedRecord, SelfMerge

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ANA = Person(mrn="M-1", family_name="Orr", given_name="Ana", sex="F", birth_date=date(1980, 5, 1))
ANA_AGAIN = Person(mrn="M-2", family_name="Orr", given_name="Anna", sex="F", birth_date=date(1980, 5, 1))


def book(app, clock, person, appointment_id, day=7):
    start = T + timedelta(days=day)
    return app.book(clock.meta(role="scheduler"), person, "dr-1", "cardiology", "outpatient-visit", start,
                    start + timedelta(minutes=30), appointment_id=appointment_id,
                    contact=Contact(phone="555-0100"))  # fmt: skip


@pytest.fixture
def two_records(hospital, clock):
    """Ana under M-1 (a visit and an appointment) and again under M-2 (a visit)."""
    v1 = hospital.arrive(clock.meta(role="intake"), "V1", ANA, chief_complaint="cough").id
    book(hospital, clock, ANA, "APT-1")
    v2 = hospital.arrive(clock.meta(role="intake"), "V2", ANA_AGAIN, chief_complaint="fall").id
    return {"V1": v1, "V2": v2}


def stored(app) -> int:
    return app.recorder.max_notification_id() or 0


def test_registrations_and_bookings_feed_one_record_per_mrn(hospital, two_records):
    index = hospital.patient_index().facility("fac-1")
    first, second = index.entries["M-1"], index.entries["M-2"]
    assert sorted(first.visits.values()) == ["V1"] and list(first.appointments.values()) == ["APT-1"]
    assert first.details["family_name"] == "Orr" and first.contact == Contact(phone="555-0100")
    assert list(second.visits.values()) == ["V2"] and second.details["given_name"] == "Anna"
    assert [e.mrn for e in hospital.patient_index().search("fac-1", None, "orr an", None, 10)] == ["M-1", "M-2"]
    assert [e.mrn for e in hospital.patient_index().search("fac-1", "m-2", None, None, 10)] == ["M-2"]
    assert len(hospital.patient_index().search("fac-1", None, None, date(1980, 5, 1), 10)) == 2
    assert hospital.patient_index().search("fac-2", None, "orr", None, 10) == []


def test_a_merge_moves_visits_and_appointments_and_shows_in_both_histories(hospital, clock, two_records):
    outcome = hospital.merge_patients(clock.meta(role="scheduler"), "M-2", "M-1", "same person, duplicate MRN")
    assert [e["type"] for e in outcome.events] == ["PatientRecordsMerged", "PatientRecordsMerged"]
    index = hospital.patient_index().facility("fac-1")
    assert sorted(index.visits_of("M-1").values()) == ["V1", "V2"]
    assert index.survivor("M-2") == "M-1" and index.group("M-2") == ["M-1", "M-2"]
    for mrn in ("M-1", "M-2"):
        [merge] = index.entries[mrn].history
        assert merge["type"] == "PatientRecordsMerged" and merge["actor"] == "user-1"
        assert merge["reason"] == "same person, duplicate MRN" and merge["fact"].visits == ("V2",)
    # A visit registered later under the merged MRN belongs to the survivor too.
    hospital.arrive(clock.meta(role="intake"), "V3", ANA_AGAIN)
    assert sorted(hospital.patient_index().facility("fac-1").visits_of("M-1").values()) == ["V1", "V2", "V3"]


@pytest.mark.parametrize(
    ("merged", "surviving", "error"),
    [("M-1", "M-1", SelfMerge), ("M-9", "M-1", NotFound), ("M-2", "M-9", NotFound)],
)
def test_refused_merges_record_nothing(hospital, clock, two_records, merged, surviving, error):
    before = stored(hospital)
    with pytest.raises(error):
        hospital.merge_patients(clock.meta(role="scheduler"), merged, surviving, "why")
    assert stored(hospital) == before


def test_a_merged_record_is_never_a_target_nor_merged_again_nor_changed(hospital, clock, two_records):
    hospital.arrive(clock.meta(role="intake"), "V4", Person(mrn="M-3", family_name="Lee"))
    hospital.merge_patients(clock.meta(role="scheduler"), "M-2", "M-1", "duplicate")
    before = stored(hospital)
    for merged, surviving in (("M-3", "M-2"), ("M-2", "M-3"), ("M-1", "M-2")):
        with pytest.raises(MergedRecord) as refused:
            hospital.merge_patients(clock.meta(role="scheduler"), merged, surviving, "again")
        assert isinstance(refused.value, Conflict) and "M-2" in refused.value.message
    with pytest.raises(MergedRecord):
        hospital.update_patient(clock.meta(role="scheduler"), "M-2", "typo", patient=Person(family_name="Orrs"))
    assert stored(hospital) == before
    # The survivor absorbs more: M-1 merged into M-3 takes M-2's visits along.
    hospital.merge_patients(clock.meta(role="scheduler"), "M-1", "M-3", "same person again")
    index = hospital.patient_index().facility("fac-1")
    assert sorted(index.visits_of("M-3").values()) == ["V1", "V2", "V4"] and index.survivor("M-2") == "M-3"


def test_a_correction_records_only_what_changed_with_who_and_why(hospital, clock, two_records):
    meta = clock.meta(role="scheduler")
    outcome = hospital.update_patient(
        meta, "M-1", "patient spelled it", patient=Person(family_name="Orr", given_name="Anne"),
        contact=Contact(phone="555-0100", email="a@example.org"), coverage=Coverage(payer="Acme", member_id="X1"),
    )  # fmt: skip
    assert [e["type"] for e in outcome.events] == ["PatientRecordUpdated"]
    [change] = hospital.patient_index().facility("fac-1").entries["M-1"].history
    fact = change["fact"]
    assert fact.patient.given_name == "Anne" and fact.patient.family_name is None  # unchanged: not restated
    assert fact.contact == Contact(email="a@example.org") and fact.coverage.member_id == "X1"
    assert (change["actor"], change["role"], change["reason"]) == ("user-1", "scheduler", "patient spelled it")
    entry = hospital.patient_index().facility("fac-1").entries["M-1"]
    assert entry.details["given_name"] == "Anne" and entry.contact == Contact(email="a@example.org", phone="555-0100")
    before = stored(hospital)
    again = hospital.update_patient(clock.meta(), "M-1", "again", patient=Person(given_name="Anne"))
    assert again.events == [] and stored(hospital) == before
    with pytest.raises(NotFound):
        hospital.update_patient(clock.meta(), "M-9", "who?", patient=Person(given_name="X"))
    with pytest.raises(Invalid):
        hospital.update_patient(clock.meta(), "M-1", "future", patient=Person(birth_date=date(2100, 1, 1)))
    with pytest.raises(Invalid):
        hospital.update_patient(clock.meta(), "M-1", " ", patient=Person(given_name="Y"))
    assert stored(hospital) == before


def test_an_mrn_correction_of_a_visit_moves_it_between_records(hospital, clock, two_records):
    fix = PatientDetailsUpdated(patient=Person(mrn="M-1"))
    hospital.update_details(clock.meta(role="intake"), two_records["V2"], fix)
    index = hospital.patient_index().facility("fac-1")
    assert sorted(index.entries["M-1"].visits.values()) == ["V1", "V2"] and index.entries["M-2"].visits == {}


def test_crossed_merges_racing_have_exactly_one_winner(hospital, clock, two_records):
    """M-2 into M-1 and M-1 into M-2 at once: one is recorded, the other is
    told the record was merged (never both, which would merge each into the other)."""
    from concurrent.futures import ThreadPoolExecutor

    meta = clock.meta(role="scheduler")

    def attempt(pair):
        try:
            hospital.merge_patients(meta, *pair, "duplicate")
            return "won"
        except Conflict:
            return "refused"

    pairs = [("M-2", "M-1"), ("M-1", "M-2")] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, pairs))
    assert results.count("won") == 1
    index = hospital.patient_index().facility("fac-1")
    merged = [e.mrn for e in index.entries.values() if e.merged_into is not None]
    assert len(merged) == 1 and index.survivor(merged[0]) != merged[0]
