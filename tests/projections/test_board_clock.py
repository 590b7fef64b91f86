"""The live board at T is the fold of the events up to T evaluated at T: the
board a consumer rebuilds from the worker's deltas, after the clock's delta
at T, equals `board_snapshot(fold up to T, at=T)` (what a replay at T shows),
however long the quiet spell before T was."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from events.board import CapacityValue, EncounterValue, MetricsValue
from events.envelope import Envelope
from projections import board_clock as clock
from projections import board_stream as bs
from projections.fold import board_snapshot, fold_into, keys_for, step, stream_of
from projections.guarded import apply_changes
from projections.profile import DEFAULT_PROFILE
from tests.projections.stories import START, WEIGHTED_MOVES, Story

moves = st.lists(
    st.tuples(st.sampled_from(WEIGHTED_MOVES), st.integers(0, 40), st.integers(1, 5), st.integers(0, 200)),
    min_size=3,
    max_size=50,
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FACILITY = "demo"


class LiveBoard:
    """The worker's board for one facility, as its consumers rebuild it: the
    fold's deltas per event and the clock's delta, numbered as the worker
    numbers them (`board_stream`), applied to a `BoardView`."""

    def __init__(self) -> None:
        self.table: dict = {}
        self.cursor = bs.BoardCursor(facility_id=FACILITY, partition=0)
        self.view = bs.BoardView()
        self.view.apply(bs.snapshot(self.cursor, []))

    def event(self, envelope: Envelope) -> None:
        result = step({k: self.table.get(k) for k in keys_for(envelope)}, envelope)
        apply_changes(self.table, result.changes)
        self.cursor = bs.advance(self.cursor, envelope, stream_of(envelope), {}, publishes=bool(result.board))
        if result.board:
            self.view.apply(bs.delta(self.cursor, result.board))

    def tick(self, now: datetime) -> datetime:
        visits = clock.visits_shown(self.view.entities)
        at = clock.instant(self.table.get(f"{FACILITY}|facility"), now)
        keys = clock.clock_keys(FACILITY, visits, DEFAULT_PROFILE, at)
        entities = clock.entities_at({k: self.table.get(k) for k in keys}, FACILITY, visits, DEFAULT_PROFILE, at)
        changes = clock.changed(self.view.entities, entities)
        if changes:
            self.cursor = clock.ticked(self.cursor, at)
            self.view.apply(bs.delta(self.cursor, changes))
        return at


def story_of(plays, late: int) -> list[Envelope]:
    story = Story()
    for bed in ("A1", "A2", "A3"):
        story.register_bed(bed)
    for move in plays:
        story.play(*move)
    # Every fourth event documented `late` minutes after it happened.
    return [
        replace(e, occurred_at=e.occurred_at - timedelta(minutes=late)) if i % 4 == 3 else e
        for i, e in enumerate(story.envelopes)
    ]


def replayed(envelopes: list[Envelope], at: datetime) -> dict:
    table = fold_into({}, [e for e in envelopes if e.recorded_at <= at])
    return {(c.kind, c.id): c.value for c in board_snapshot(table.items(), DEFAULT_PROFILE, at=at) if c.value}


@fast
@given(moves, st.integers(0, 90), st.lists(st.integers(0, 4000), min_size=1, max_size=6))
def test_the_live_board_after_the_clock_at_t_is_the_fold_up_to_t_evaluated_at_t(plays, late, minutes):
    envelopes = story_of(plays, late)
    board, pending = LiveBoard(), list(envelopes)
    for minute in sorted(minutes):
        now = START + timedelta(minutes=minute, seconds=1)
        while pending and pending[0].recorded_at <= now:
            board.event(pending.pop(0))
        at = board.tick(now)
        assert at == now  # no event of the story is after now
        assert board.view.in_sync
        assert board.view.entities == replayed(envelopes, now)
        assert board.cursor.as_of == now or not board.view.entities


def test_two_hours_of_quiet_moves_waits_boarding_and_metrics_on_without_an_event():
    story = Story()
    story.register_bed("A1")
    waiting = story.arrive("V1", age=40)
    story.triage(waiting, 3)
    boarder = story.arrive("V2", age=70)
    story.assign_bed(boarder, "A1")
    story.admit(boarder)
    board = LiveBoard()
    for envelope in story.envelopes:
        board.event(envelope)
    seq, later = board.cursor.seq, story.now + timedelta(hours=2)

    board.tick(later)

    assert board.cursor.seq == seq + 1  # one delta, numbered on without a gap
    shown = board.view.entities
    visit, capacity = shown[("encounter", str(waiting))], shown[("capacity", "ed")]
    today, rolling = shown[("metrics", "today")], shown[("metrics", "rolling24h")]
    assert isinstance(visit, EncounterValue) and isinstance(capacity, CapacityValue)
    assert isinstance(today, MetricsValue) and isinstance(rolling, MetricsValue)
    assert visit.over_target  # ESI 3: a 60-minute target
    assert capacity.longest_boarding_minutes == 120.0
    assert capacity.nedocs.inputs.longest_boarding_hours == 2.0
    assert today.as_of == rolling.as_of == later.isoformat()
    board.tick(later)  # nothing moved since: nothing is published
    assert board.cursor.seq == seq + 1
