"""The worker killed mid-stream, or restarted, folds every event exactly once
into its tables and resumes from its committed offsets, not from offset 0."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys

import pytest

from projections.board_stream import BoardView
from tests.projections.runtime.boards import (
    differences,
    expected_positions,
    offline_board,
    rebuilt_from_last_snapshot,
    snapshot_board,
    without_wait_flags,
)
from tests.projections.runtime.conftest import FACILITY
from tests.projections.runtime.kafka_io import committed_offsets, produce, read_board_until_caught_up

pytestmark = pytest.mark.kafka


@pytest.fixture
def snapshot_every() -> int:
    return 4  # as in test_board_stream: the late consumer starts at a periodic snapshot


# A worker whose fold is slowed, so the kill lands mid-backlog on a fast day.
SLOW_FOLD = [sys.executable, "-m", "tests.projections.runtime.slow_fold_worker"]
PROGRESS = re.compile(r"projected events=(\d+) unchanged=(\d+)")


def processed(log: str) -> tuple[int, int]:
    """(events, unchanged) the worker last reported; (0, 0) before any."""
    found = PROGRESS.findall(log)
    if not found:
        return 0, 0
    events, unchanged = found[-1]
    return int(events), int(unchanged)


def test_sigkill_mid_stream_with_relay_repeats_counts_no_event_twice(
    worker_settings, start_worker, busy_ed_day, tmp_path
):
    # Every 7th record twice, as a relay that retried a send would.
    sent = asyncio.run(produce(worker_settings, busy_ed_day, repeat_every=7))
    assert sent > len(busy_ed_day)
    worker = start_worker(command=SLOW_FOLD)
    worker.wait_for_log("requesting board snapshots")
    while processed(worker.log())[0] < len(busy_ed_day) // 3:
        worker.wait_for_log("projected events=", after=len(worker.log()))
    worker.kill()
    killed_at = processed(worker.log())[0]
    assert killed_at < sent, "the worker finished before it was killed; nothing was tested"

    restarted = start_worker()
    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(busy_ed_day)))

    expected = offline_board(busy_ed_day)
    final = snapshot_board(messages[-1])
    assert final == expected, differences(final, expected)
    # Sequence numbers survive the kill: they only go up, and a consumer that
    # read the whole stream from the start ends in sync with the fold.
    seqs = [m.seq for m in messages]
    backwards = [(a, b) for a, b in zip(seqs, seqs[1:]) if b <= a]
    assert not backwards, f"seq went back: {backwards[:5]}"
    view = BoardView()
    for message in messages[:-1]:
        view.apply(message)
    assert view.in_sync
    # Both consumers stop before the final snapshot: they hold the board as
    # of the message before it (that snapshot may carry the last events).
    before_last = without_wait_flags(offline_board(busy_ed_day, messages[-2].positions))
    assert without_wait_flags(view.entities) == before_last
    late = rebuilt_from_last_snapshot(messages)
    assert late.in_sync and without_wait_flags(late.entities) == before_last
    log = restarted.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


@pytest.mark.parametrize("local_tables", ["kept", "wiped"])
def test_restart_recovers_tables_without_replaying_the_event_topics(
    worker_settings, start_worker, ed_day, local_tables
):
    half = len(ed_day) // 2
    first, second = ed_day[:half], ed_day[half:]
    asyncio.run(produce(worker_settings, first))
    worker = start_worker()
    asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(first)))
    assert worker.stop() == 0
    committed = sum(asyncio.run(committed_offsets(worker_settings)).values())
    assert committed == len(first)
    if local_tables == "wiped":
        # A new machine: the tables come back from their changelog topics.
        shutil.rmtree(worker_settings.data_dir / "worker")
    log_before = len(worker.log())

    asyncio.run(produce(worker_settings, second))
    restarted = start_worker()
    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(ed_day)))

    assert snapshot_board(messages[-1]) == offline_board(ed_day)
    # Only records after the committed offsets were read again (at least
    # once: a few before them may come again and change nothing). The
    # progress line is logged once a second, so wait for the last one.
    while processed(restarted.log()[log_before:])[0] < len(second):
        restarted.wait_for_log("projected events=", timeout=10, after=len(restarted.log()))
    restarted.stop()
    events, unchanged = processed(restarted.log()[log_before:])
    assert events - unchanged == len(second)
    assert events < len(second) + len(first) // 4, "the restarted worker replayed the event topics"
