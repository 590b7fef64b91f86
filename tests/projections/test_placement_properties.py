"""Properties of bed requests and inpatient beds over random valid stories
(the moves of tests/projections/placement_story.py among the floor's):
a request never holds two beds, an inpatient bed never holds two patients,
a withdrawn admission leaves no open request, and the unit counts are a
recount of the beds. Quiet and publishing folds are compared over the same
stories by tests/projections/test_fold_properties.py."""

from __future__ import annotations

from hypothesis import given

from events.catalogue import AdmissionCancelled
from projections.entries import EncounterEntry, FacilitySummary, InpatientBedEntry
from projections.fold import fold_into
from tests.projections.test_fold_properties import fast, moves, story_of

HOLDING = ("assigned", "ready")


def check_placement(table, story) -> None:
    visits = {e.id: e for e in table.values() if isinstance(e, EncounterEntry)}
    beds = {e.bed_id: e for e in table.values() if isinstance(e, InpatientBedEntry)}
    # Each bed holds at most one patient, and each patient at most one bed.
    held = [(b.encounter_id, b.bed_id) for b in beds.values() if b.status in ("reserved", "ready")]
    occupied = [(b.encounter_id, b.bed_id) for b in beds.values() if b.status == "occupied"]
    assert len({visit for visit, _ in held}) == len(held)
    # Requests that hold a bed are exactly the beds held for them.
    holding = {(v.id, v.request.bed_id) for v in visits.values() if v.request and v.request.state in HOLDING}
    assert holding == set(held)
    # A patient who left for a bed is in it, unless the bed was freed since.
    left = {(v.id, v.request.bed_id) for v in visits.values() if v.request and v.request.state == "left"}
    assert set(occupied) <= left
    # Both agree with the model of the floor.
    assert {b: e.status for b, e in beds.items() if e.status != "free"} == {
        b: s["status"] for b, s in story.inpatient.items() if s["status"] != "free"
    }
    # A withdrawn admission (not decided again) leaves no open request.
    withdrawn = {str(e.aggregate_id) for e in story.envelopes if isinstance(e.data, AdmissionCancelled)}
    for visit_id in withdrawn & set(visits):
        visit = visits[visit_id]
        if visit.admit_decided_at is None and visit.request is not None:
            assert visit.request.state not in ("requested", *HOLDING)
    # The units' counts are a recount of the beds.
    summary: FacilitySummary = table["demo|facility"]
    recount: dict[str, dict[str, int]] = {}
    for bed in beds.values():
        if bed.status != "free":
            recount.setdefault(bed.unit, {}).setdefault(bed.status, 0)
            recount[bed.unit][bed.status] += 1
    assert {u: c for u, c in (summary.inpatient or {}).items() if c} == recount


@fast
@given(moves)
def test_requests_and_inpatient_beds_stay_consistent(plays):
    # Checked once the story is told: within one command the visit's fact
    # comes before the bed records it settles.
    story = story_of(plays)
    check_placement(fold_into({}, story.envelopes), story)
