"""`edflow worker`, with each event's fold slowed by a few milliseconds
(`FOLD_DELAY`, slept before each run of a facility's events is folded), so a
test's backlog is still being folded when the test kills the worker or
forces a rebalance, however fast the machine is that day. A batch of 1,000
records is folded in runs of up to 100, so the pauses fall between runs,
inside a batch whose offsets are not committed yet.

Run as `python -m tests.projections.runtime.slow_fold_worker` in place of
`edflow worker --loglevel info`; the environment is the same."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from deploy.cli import main
from projections.runtime.live_fold import LiveFold

FOLD_DELAY = 0.003  # about 9 s for a 3,000-event backlog
_apply_run = LiveFold.apply_run


async def apply_run_slowly(self: LiveFold, run: Sequence[Any]) -> None:
    await asyncio.sleep(FOLD_DELAY * len(run))
    await _apply_run(self, run)


def fold_slowly() -> None:
    LiveFold.apply_run = apply_run_slowly  # type: ignore[method-assign]


if __name__ == "__main__":
    fold_slowly()
    sys.exit(main(["worker", "--loglevel", "info"]))
