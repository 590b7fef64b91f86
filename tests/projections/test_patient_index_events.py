"""The patient index's facts travel on the access topic and leave the board
as it was: folding a store with record changes and merges gives the entries
folding it without them gives."""

from __future__ import annotations

from events.catalogue import PatientRecordsMerged, PatientRecordUpdated, Person
from events.topics import Topics
from projections.fold import fold_into
from tests.projections.conftest import record_morning
from tests.projections.test_replay import all_envelopes


def test_record_changes_and_merges_fold_to_the_same_board(sqlite_settings, clock):
    from services.hospital import Hospital

    app = Hospital(sqlite_settings)
    try:
        record_morning(app, clock)
        app.arrive(clock.meta("demo", "intake"), "DUP-1", Person(mrn="DUP-A", family_name="Roe"))
        app.arrive(clock.meta("demo", "intake"), "DUP-2", Person(mrn="DUP-B", family_name="Roe"))
        before = fold_into({}, all_envelopes(app))
        app.update_patient(clock.meta("demo", "scheduler"), "DUP-A", "spelling", patient=Person(family_name="Rowe"))
        app.merge_patients(clock.meta("demo", "scheduler"), "DUP-B", "DUP-A", "duplicate")
        envelopes = all_envelopes(app)
    finally:
        app.close()
    index_facts = [e for e in envelopes if isinstance(e.data, PatientRecordUpdated | PatientRecordsMerged)]
    assert len(index_facts) == 3 and {Topics().for_fact(e.data) for e in index_facts} == {Topics().access}
    assert all(e.data.mrn == "" for e in index_facts if isinstance(e.data, PatientRecordUpdated))  # identity withheld
    after = fold_into({}, envelopes)
    # Only the facility summary moves on (its access position): every other entry is as it was.
    assert {k: v for k, v in after.items() if k != "demo|facility"} == {
        k: v for k, v in before.items() if k != "demo|facility"
    }
