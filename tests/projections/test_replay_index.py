"""Replay from the nearest snapshot equals a full replay, at any instant, on
either time axis, with events documented late, whichever snapshots keep the
whole table and which only their changes."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from projections.replay import Replay
from projections.replay_index import ReplayIndex
from tests.projections.stories import START, WEIGHTED_MOVES, Story

moves = st.lists(
    st.tuples(st.sampled_from(WEIGHTED_MOVES), st.integers(0, 40), st.integers(1, 5), st.integers(0, 120)),
    min_size=5,
    max_size=60,
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def late_story(plays, late: list[int]) -> list:
    story = Story()
    for bed in ("A1", "A2"):
        story.register_bed(bed)
    for move in plays:
        story.play(*move)
    # Some events documented late: they happened well before they were recorded.
    return [
        replace(e, occurred_at=e.occurred_at - timedelta(minutes=late[i % len(late)])) if i % 3 == 0 else e
        for i, e in enumerate(story.envelopes)
    ]


@fast
@given(
    moves,
    st.lists(st.integers(0, 600), min_size=1, max_size=5),
    st.integers(-60, 4000),
    st.integers(1, 9),
    st.integers(1, 4),
)
def test_replay_from_the_nearest_snapshot_equals_a_full_replay(plays, late, minute, every, full_every):
    envelopes = late_story(plays, late)
    # Snapshots every `every` events, a whole table every `full_every` of them.
    index = ReplayIndex(every=every, full_every=full_every)
    half = len(envelopes) // 2
    index.extend(envelopes[:half])
    index.extend(envelopes[half:])  # events recorded since are added as they come
    at = START + timedelta(minutes=minute)
    for by in ("recorded", "occurred"):
        full = Replay(at=at, by=by)
        for envelope in envelopes:
            full.feed(envelope)
        fast_replay = index.replay(at, by)
        assert fast_replay.table == full.table
        assert (fast_replay.read, fast_replay.folded, fast_replay.skipped) == (full.read, full.folded, full.skipped)
        assert fast_replay.facilities == full.facilities
