"""The board "as of T" means T: every time-dependent figure is evaluated at the
instant the board claims, however long before it the last event was."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.entries import EncounterEntry
from projections.fold import fold_into
from projections.profile import DEFAULT_PROFILE
from projections.replay import Replay, board_view
from tests.projections.stories import START, WEIGHTED_MOVES, Story

moves = st.lists(
    st.tuples(st.sampled_from(WEIGHTED_MOVES), st.integers(0, 40), st.integers(1, 5), st.integers(0, 300)),
    min_size=5,
    max_size=60,
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def story_of(plays) -> Story:
    story = Story()
    for bed in ("A1", "A2", "A3"):
        story.register_bed(bed)
    for move in plays:
        story.play(*move)
    return story


def replayed_view(story: Story, at: datetime, by) -> dict:
    replay = Replay(at=at, by=by)
    for envelope in story.envelopes:
        replay.feed(envelope)
    facility, entries = replay.entries_of("demo")
    return board_view(facility, entries, at, DEFAULT_PROFILE)


def minutes(since: str, until: datetime) -> float:
    return round(max(0.0, (until - datetime.fromisoformat(since)).total_seconds() / 60), 1)


@fast
@given(moves, st.integers(0, 3000), st.sampled_from(["recorded", "occurred"]))
def test_the_board_at_an_instant_is_the_fold_up_to_it_evaluated_at_it(plays, minute, by):
    story = story_of(plays)
    at = START + timedelta(minutes=minute, seconds=1)
    view = replayed_view(story, at, by)

    # Folding the events up to T, then evaluating at T.
    moment = (lambda e: e.recorded_at) if by == "recorded" else (lambda e: e.occurred_at)
    table = fold_into({}, [e for e in story.envelopes if moment(e) <= at])
    assert view == board_view("demo", [(k, v) for k, v in table.items() if k.startswith("demo|")], at, DEFAULT_PROFILE)

    # Evaluated at T, not at the last event before it: a quiet spell counts.
    boarding = [
        minutes(e.admit_decided_at.isoformat(), at)
        for e in table.values()
        if isinstance(e, EncounterEntry) and e.phase == "open" and e.admit_decided_at is not None
    ]
    if view["capacity"] is not None:
        capacity = view["capacity"]
        assert capacity["longest_boarding_minutes"] == round(max(boarding, default=0.0), 1)
        inputs = capacity["nedocs"]["inputs"]
        assert abs(inputs["longest_boarding_hours"] - max(boarding, default=0.0) / 60) < 0.01
    for row in view["waiting"]:
        assert row["waited_minutes"] == minutes(row["arrived_at"], at)
        target = DEFAULT_PROFILE.wait_targets.get(row["esi"]) if row["esi"] is not None else None
        waited = (at - datetime.fromisoformat(row["arrived_at"])).total_seconds() / 60
        assert row["over_target"] == (target is not None and waited > target)
    for beds in view["beds"].values():
        for bed in beds:
            assert bed["minutes_in_state"] == minutes(bed["since"], at)
    # "Today" and the rolling 24 h share the board's instant.
    for figures in view["metrics"].values():
        assert figures is None or figures["as_of"] == at.isoformat()


def test_an_hour_of_quiet_lengthens_boarding_and_waits_on_the_board_as_of_its_end():
    story = Story()
    story.register_bed("A1")
    waiting = story.arrive("V1", age=40)
    boarder = story.arrive("V2", age=70)
    story.assign_bed(boarder, "A1")
    story.admit(boarder)
    last = story.now
    at = last + timedelta(hours=1)

    view = replayed_view(story, at, "occurred")

    assert view["capacity"]["longest_boarding_minutes"] == 60.0
    assert view["capacity"]["nedocs"]["inputs"]["longest_boarding_hours"] == 1.0
    assert [row["waited_minutes"] for row in view["waiting"]] == [60.0]
    assert view["waiting"][0]["id"] == str(waiting)
    assert view["metrics"]["today"]["as_of"] == view["metrics"]["rolling24h"]["as_of"] == at.isoformat()
