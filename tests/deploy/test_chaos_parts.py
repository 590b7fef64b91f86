"""The fault harness's bookkeeping, without a cluster: the order faults are
injected in, how long a board stood still, how a board client judges frames
(a gap waits for a snapshot), and the verdict on acknowledged events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from dashboard.protocol import Delta, Resumed, Snapshot, Stale
from deploy.chaos.board_watch import BoardWatch
from deploy.chaos.checks import acknowledged_checks, gap_check
from deploy.chaos.faults import FULL_COUNTS, schedule
from deploy.chaos.report import longest_still
from tests.dashboard.conftest import bed

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def snapshot(seq: int, epoch: str = "e1") -> Snapshot:
    return Snapshot(facility="demo", unit=None, seq=seq, epoch=epoch, as_of=NOW, changes=[bed("A1", "available")])


def delta(seq: int, epoch: str = "e1", status="dirty") -> Delta:
    return Delta(facility="demo", seq=seq, epoch=epoch, as_of=NOW, changes=[bed("A1", status)])


def test_faults_come_in_turn_until_each_kind_had_its_count():
    order = schedule(FULL_COUNTS)
    assert Counter(order) == Counter(FULL_COUNTS)
    assert order[:6] == ["broker", "relay", "worker", "board-server", "api-server", "broker-pause"]
    assert order[-2:] == ["worker", "worker"]
    assert schedule({"worker": 0, "relay": 2}) == ["relay", "relay"]


def test_the_longest_still_span_counts_from_the_fault_to_the_next():
    assert longest_still([], 10.0, 20.0) == 10.0
    assert longest_still([9.0, 11.0, 12.0, 19.0, 25.0], 10.0, 20.0) == 7.0


def test_the_client_applies_deltas_in_order_and_holds_a_gap_open_until_a_snapshot():
    watch = BoardWatch(["http://127.0.0.1:1"], "demo", "token", "http://origin.test")
    assert not watch._apply(snapshot(5))
    assert not watch._apply(delta(6))
    assert watch.record.entities[("bed", "A1")].status == "dirty"
    assert watch._apply(delta(8, status="blocked")), "a skipped seq asks for a resync"
    assert not watch._apply(delta(9, status="blocked")), "deltas after a gap are not applied"
    assert watch.record.seq == 6 and watch.record.entities[("bed", "A1")].status == "dirty"
    assert not gap_check(watch.record).passed
    assert not watch._apply(snapshot(9, epoch="e2"))
    assert watch._apply(Resumed(facility="demo", since=3, seq=9, epoch="e2")), "a resume from elsewhere is a gap"
    assert watch._apply(Stale(facility="demo", seq=9, since=NOW))
    assert not watch._apply(snapshot(10, epoch="e2"))
    check = gap_check(watch.record)
    assert check.passed and "3 gaps, 0 unhealed" in check.detail


def test_acknowledged_events_must_be_stored_once_and_published_with_repeats_counted():
    acked = {"e1": "k1", "e2": "k2"}
    good = acknowledged_checks(acked, Counter({"e1": 1, "e2": 1, "bed": 1}), Counter({"e1": 2, "e2": 1, "bed": 1}))
    assert all(c.passed for c in good) and "1 repeats dropped" in good[1].detail
    lost = acknowledged_checks(acked, Counter({"e1": 1}), Counter({"e1": 1}))
    assert not lost[0].passed and "1 missing" in lost[0].detail
    unpublished = acknowledged_checks(acked, Counter({"e1": 1, "e2": 1}), Counter({"e1": 1}))
    assert lost[1].passed and not unpublished[1].passed
