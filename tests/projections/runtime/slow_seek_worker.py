"""`edflow worker`, with one thing changed: after faust has sought a newly
assigned partition to its committed offset, the rest of its "recovery
completed" step waits 2 s before it resumes flow control.

That widens a window that is there anyway (a few event-loop turns on a quiet
machine, longer on a loaded one): faust (faust-streaming 0.15.3,
`tables/recovery.py` `Recovery.on_recovery_completed`) resumes the stream
partitions before `Consumer.perform_seek()`, and flow control was resumed
during table recovery already, so the fetcher hands records to the agent's
queue while the seek runs; `app.flow_control.resume()` after it then clears
that queue (stream queues are `clear_on_resume=True`) although the consumer's
read offset is past those records. Without a guard they are never folded.

Each event's fold is also slowed by a few milliseconds (`slow_fold_worker`),
so the test's backlog is still being folded when it forces the rebalance.

Run as `python -m tests.projections.runtime.slow_seek_worker` in place of
`edflow worker --loglevel info`; the environment is the same."""

from __future__ import annotations

import asyncio
import sys

from faust.transport.consumer import Consumer

from deploy.cli import main
from tests.projections.runtime.slow_fold_worker import fold_slowly

DELAY = 2.0
_perform_seek = Consumer.perform_seek


async def perform_seek_then_wait(self: Consumer) -> None:
    await _perform_seek(self)
    await asyncio.sleep(DELAY)


if __name__ == "__main__":
    Consumer.perform_seek = perform_seek_then_wait  # type: ignore[method-assign]
    fold_slowly()
    sys.exit(main(["worker", "--loglevel", "info"]))
