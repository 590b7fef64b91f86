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

Each record's fold is also slowed by a few milliseconds, so the test's
backlog is still being folded when it forces the rebalance, however fast
the machine is that day.

Run as `python -m tests.projections.runtime.slow_seek_worker` in place of
`edflow worker --loglevel info`; the environment is the same."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from faust.transport.consumer import Consumer

from deploy.cli import main
from projections.runtime.live_fold import LiveFold, Place

DELAY = 2.0
FOLD_DELAY = 0.003  # about 9 s for the test's 2,866-event backlog
_perform_seek = Consumer.perform_seek
_on_event_records = LiveFold.on_event_records


async def perform_seek_then_wait(self: Consumer) -> None:
    await _perform_seek(self)
    await asyncio.sleep(DELAY)


async def fold_slowly(self: LiveFold, records: Sequence[tuple[Place, bytes | None]]) -> None:
    await asyncio.sleep(FOLD_DELAY * len(records))
    await _on_event_records(self, records)


if __name__ == "__main__":
    Consumer.perform_seek = perform_seek_then_wait  # type: ignore[method-assign]
    LiveFold.on_event_records = fold_slowly  # type: ignore[method-assign]
    sys.exit(main(["worker", "--loglevel", "info"]))
