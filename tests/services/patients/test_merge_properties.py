"""The patient index's invariant, over any sequence of registrations, MRN
corrections, bookings, updates and merges (refused ones included): every
visit and appointment belongs to exactly one unmerged record, and no merge
ever took a merged record as its target or its duplicate."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.catalogue import PatientDetailsUpdated, PatientRecordsMerged, Person
from events.envelope import Actor
from services.errors import DomainError
from services.hospital import Hospital
from services.recording import Meta

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MRNS = st.sampled_from(["M-1", "M-2", "M-3", "M-4"])
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("register"), MRNS),
        st.tuples(st.just("book"), MRNS),
        st.tuples(st.just("correct-visit"), MRNS),
        st.tuples(st.just("update"), MRNS),
        st.tuples(st.just("merge"), MRNS, MRNS),
    ),
    max_size=14,
)
facilities = itertools.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from base.settings import Settings

    hospital = Hospital(Settings(data_dir=tmp_path_factory.mktemp("patients"), event_store="sqlite"))
    yield hospital
    hospital.close()


def play(app: Hospital, facility: str, actions) -> tuple[list[str], list[str]]:
    visits, appointments = [], []
    for n, action in enumerate(actions):
        meta = Meta(facility_id=facility, occurred_at=T + timedelta(minutes=n), actor=Actor(id="u", role="scheduler"))
        kind, mrn = action[0], action[1]
        try:
            if kind == "register":
                visits.append(app.arrive(meta, f"V{n}", Person(mrn=mrn, family_name=f"F{n}")).id)
            elif kind == "book":
                start = T + timedelta(days=2, hours=n)
                appointments.append(app.book(meta, Person(mrn=mrn), "dr-1", "clinic", "outpatient-visit", start,
                                             start + timedelta(minutes=30), appointment_id=f"A{n}").id)  # fmt: skip
            elif kind == "correct-visit" and visits:
                app.update_details(meta, visits[-1], PatientDetailsUpdated(patient=Person(mrn=mrn)))
            elif kind == "update":
                app.update_patient(meta, mrn, "typo", patient=Person(given_name=f"G{n}"))
            elif kind == "merge":
                app.merge_patients(meta, mrn, action[2], "duplicate")
        except DomainError:
            pass  # refusals are part of the sequence: they must leave the invariant intact
    return visits, appointments


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_every_visit_and_appointment_belongs_to_exactly_one_unmerged_record(app, actions):
    facility = f"prop-{next(facilities)}"
    visits, appointments = play(app, facility, actions)
    index = app.patient_index().facility(facility)
    unmerged = [e.mrn for e in index.entries.values() if e.merged_into is None]
    owners_of_visits = [m for m in unmerged for _ in index.visits_of(m)]
    owned_visits = [str(v) for m in unmerged for v in index.visits_of(m)]
    owned_appointments = [index.appointments_of(m)[a] for m in unmerged for a in index.appointments_of(m)]
    assert sorted(owned_visits) == sorted(visits) and len(owners_of_visits) == len(visits)
    assert sorted(owned_appointments) == sorted(appointments)
    merged: set[str] = set()
    for entry in sorted(index.entries.values(), key=lambda e: e.mrn):
        for item in entry.history:
            fact = item["fact"]
            if isinstance(fact, PatientRecordsMerged) and fact.merged_mrn == entry.mrn:
                merged_before = {
                    h["fact"].merged_mrn
                    for e in index.entries.values()
                    for h in e.history
                    if isinstance(h["fact"], PatientRecordsMerged) and h["position"] < item["position"]
                }
                assert fact.surviving_mrn not in merged_before and fact.merged_mrn not in merged_before
                merged.add(fact.merged_mrn)
    assert merged == {e.mrn for e in index.entries.values() if e.merged_into is not None}
    # Searches look up their keys instead of judging every record: the same answer as judging every record.
    names = {str(e.details.get(n)) for e in index.entries.values() for n in ("family_name", "given_name")}
    for mrn, name in [*((m.lower(), None) for m in index.entries), *((None, n.lower()) for n in names)]:
        tokens = [name.casefold()] if name else []
        every = sorted(e.mrn for e in index.entries.values() if e.matches(mrn, tokens, None))
        assert sorted(e.mrn for e in app.patient_index().search(facility, mrn, name, None, 100)) == every
