"""A worker whose partitions are handed back to it in a rebalance, with a
backlog still to fold, folds every event of it. faust hands the worker
records while it seeks the partitions to their committed offsets and then
clears the queue they were put in (`slow_seek_worker` widens that window; see
its docstring). The rebalance is forced by pausing the worker (SIGSTOP) past
its group session timeout, as a machine too loaded to heartbeat would."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest

from tests.projections.runtime.boards import differences, expected_positions, offline_board, snapshot_board
from tests.projections.runtime.conftest import FACILITY
from tests.projections.runtime.kafka_io import WorkerProcess, produce, read_board_until_caught_up
from tests.projections.runtime.test_crash_recovery import processed

pytestmark = pytest.mark.kafka
SLOW_SEEK = [sys.executable, "-m", "tests.projections.runtime.slow_seek_worker"]
SESSION_TIMEOUT = 10.0  # the worker's broker_session_timeout


def test_records_handed_over_while_seeking_are_all_folded(worker_settings, busy_ed_day, tmp_path):
    backlog, tail = busy_ed_day[:-20], busy_ed_day[-20:]
    asyncio.run(produce(worker_settings, backlog))
    worker = WorkerProcess(worker_settings, tmp_path / "slow-seek.log", command=SLOW_SEEK).start()
    try:
        worker.wait_for_log("Worker ready", timeout=90)
        while processed(worker.log())[0] < 50:
            worker.wait_for_log("projected events=", after=len(worker.log()))
        # Paused past its session: the group drops it; resumed, it rejoins and
        # gets its partitions back, their backlog not yet folded.
        rejoined_after = len(worker.log())
        worker.signal(signal.SIGSTOP)
        time.sleep(SESSION_TIMEOUT + 3)
        worker.signal(signal.SIGCONT)
        worker.wait_for_log("Worker ready", timeout=90, after=rejoined_after)
        events, unchanged = processed(worker.log())  # repeats read again are counted, and unchanged
        assert events - unchanged < len(backlog), "the backlog was folded before the rebalance"
        asyncio.run(produce(worker_settings, tail))
        messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(busy_ed_day)))
    finally:
        code = worker.stop()

    expected = offline_board(busy_ed_day)
    final = snapshot_board(messages[-1])
    assert final == expected, differences(final, expected)
    assert code == 0
    assert "Traceback" not in worker.log(), worker.log()[-3000:]
