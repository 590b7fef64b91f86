"""Properties of the fold over random valid ED stories (hypothesis)."""

from __future__ import annotations

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.board import EncounterValue
from events.catalogue import VentilationStarted, VentilationStopped
from projections.entries import BedEntry, DayBucket, EncounterEntry, FacilitySummary, decode_entry, encode_entry
from projections.fold import board_snapshot, fold_into, keys_for, step
from projections.guarded import apply_changes
from projections.metrics import visit_samples, with_samples
from projections.profile import DEFAULT_PROFILE
from projections.waiting import is_waiting
from tests.projections.stories import WEIGHTED_MOVES, Story

moves = st.lists(
    st.tuples(st.sampled_from(WEIGHTED_MOVES), st.integers(0, 40), st.integers(1, 5), st.integers(0, 300)),
    min_size=20,
    max_size=80,
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def story_of(plays) -> Story:
    story = Story()
    for bed in ("A1", "A2", "A3"):
        story.register_bed(bed)
    for move in plays:
        story.play(*move)
    return story


def check_floor(table, story: Story) -> None:
    summary: FacilitySummary = table["demo|facility"]
    visits = [e for e in table.values() if isinstance(e, EncounterEntry)]
    beds = {e.bed_id: e for e in table.values() if isinstance(e, BedEntry)}
    open_visits = [v for v in visits if v.phase == "open"]
    model_open = [v for v, s in story.visits.items() if s["status"] in ("waiting", "roomed")]

    assert summary.census == len(open_visits) == len(model_open)
    assert summary.waiting == sum(is_waiting(v) for v in open_visits) >= 0
    assert summary.untriaged == sum(v.esi is None for v in open_visits) >= 0
    # NEDOCS V: open visits whose last ventilation event is a start; departure ends the count.
    last_was_start = {
        e.aggregate_id: isinstance(e.data, VentilationStarted)
        for e in story.envelopes
        if isinstance(e.data, (VentilationStarted, VentilationStopped))
    }
    ventilated = [v for v in model_open if last_was_start.get(v, False)]
    assert summary.ventilated == sum(v.ventilated for v in open_visits) == len(ventilated) >= 0
    assert set(summary.boarders) == {v.id for v in open_visits if v.admit_decided_at is not None}
    assert all(n > 0 for n in summary.beds.values())
    assert summary.beds_total == len(beds) == sum(summary.beds.values())
    for status in ("available", "occupied", "dirty", "cleaning", "blocked"):
        assert summary.beds.get(status, 0) == sum(b.status == status for b in beds.values())

    # No patient in two beds, no bed with two patients, both sides agree.
    in_beds = [v for v in open_visits if v.bed_id is not None]
    assert len({v.bed_id for v in in_beds}) == len(in_beds)
    occupied = [b for b in beds.values() if b.status == "occupied"]
    assert len({b.encounter_id for b in occupied}) == len(occupied)
    assert {(v.id, v.bed_id) for v in in_beds} == {(b.encounter_id, b.bed_id) for b in occupied}
    assert {b: beds[b].status for b in beds} == {b: s["status"] for b, s in story.beds.items()}


@fast
@given(moves)
def test_counts_and_beds_stay_consistent_after_every_event(plays):
    story = story_of(plays)
    table: dict = {}
    for envelope in story.envelopes:
        fold_into(table, [envelope])
        summary = table["demo|facility"]
        assert min(summary.census, summary.waiting, summary.untriaged, summary.ventilated, summary.beds_total) >= 0
    check_floor(table, story)


@fast
@given(moves, st.data())
def test_applying_an_event_twice_equals_applying_it_once(plays, data):
    story = story_of(plays)
    once = fold_into({}, story.envelopes)
    twice = fold_into({}, [e for envelope in story.envelopes for e in (envelope, envelope)])
    assert twice == once
    # A redelivery of any earlier event, after later ones, changes nothing either.
    late = data.draw(st.sampled_from(story.envelopes))
    assert step({k: once.get(k) for k in keys_for(late)}, late).changes == {}
    assert fold_into(dict(once), [late]) == once


@fast
@given(moves, st.data())
def test_folding_in_two_halves_equals_folding_in_one_go(plays, data):
    story = story_of(plays)
    cut = data.draw(st.integers(0, len(story.envelopes)))
    whole = fold_into({}, story.envelopes)
    first = fold_into({}, story.envelopes[:cut])
    # Carried over the way a worker's changelog would: encoded and decoded.
    carried = {key: decode_entry(encode_entry(entry)) for key, entry in first.items()}
    assert fold_into(carried, story.envelopes[cut:]) == whole


def _comparable(changes):
    board = {}
    for change in changes:
        value = change.value
        if isinstance(value, EncounterValue):
            # Over-target is judged at the time of the entity's last change in
            # a delta and at the snapshot's time in a snapshot.
            value = msgspec.structs.replace(value, over_target=False)
        board[(change.kind, change.id)] = value
    return {k: v for k, v in board.items() if v is not None}


@fast
@given(moves)
def test_board_deltas_add_up_to_the_snapshot(plays):
    story = story_of(plays)
    table: dict = {}
    board = {}
    for envelope in story.envelopes:
        result = step({k: table.get(k) for k in keys_for(envelope)}, envelope)
        board.update({(c.kind, c.id): c for c in result.board})
        fold_into(table, [envelope])
    assert _comparable(board.values()) == _comparable(board_snapshot(table.items()))


@fast
@given(moves)
def test_a_step_without_board_changes_exactly_what_the_publishing_step_changes(plays):
    """Replay and in-memory folds build no board values (`board=False`): every
    step must still write the same entries, so the tables and every board read
    off them stay identical to the live fold's."""
    story = story_of(plays)
    table: dict = {}
    for envelope in story.envelopes:
        entries = {k: table.get(k) for k in keys_for(envelope)}
        publishing, quiet = step(entries, envelope), step(entries, envelope, board=False)
        assert quiet.changes == publishing.changes
        assert quiet.board == []
        apply_changes(table, publishing.changes)
    assert fold_into({}, story.envelopes) == table
    assert board_snapshot(fold_into({}, story.envelopes).items()) == board_snapshot(table.items())


@fast
@given(moves)
def test_day_buckets_equal_a_recount_of_the_visits_samples(plays):
    """Samples are re-derived only when a fact changed what they are made of;
    the buckets must still hold exactly what the visits contribute."""
    table = fold_into({}, story_of(plays).envelopes)
    recount: dict[str, DayBucket | None] = {}
    for entry in table.values():
        if isinstance(entry, EncounterEntry):
            for day, samples in visit_samples(entry, DEFAULT_PROFILE).items():
                recount[day] = with_samples(recount.get(day) or DayBucket(day=day), None, samples)
    assert {e.day: e for e in table.values() if isinstance(e, DayBucket)} == {
        day: bucket for day, bucket in recount.items() if bucket is not None
    }
