"""The worker's producer-buffer flush (`changelog_flush`) returns only once
every table write was handed to the Kafka producer, whose own flush then
waits for the broker; faust commits offsets after both.

The hand-over is made slow here by a stand-in for the producer's `send` (a
full batch waiting on a slow broker cannot be produced on demand): the one
thing mocked, and only below the buffer this module changes."""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from projections.runtime.changelog_flush import flush_fully_before_commit

HAND_OVER = 1.0


def test_flush_waits_for_a_write_still_being_handed_to_the_producer() -> None:
    async def scenario() -> list[str]:
        app = faust.App("flush-test", broker="kafka://127.0.0.1:1", autodiscover=False)
        buffer: Any = app.producer.buffer
        handed: list[str] = []

        async def slow_send(write: str) -> None:  # the producer's batch is full: the hand-over waits
            await asyncio.sleep(HAND_OVER)
            handed.append(write)

        buffer._send_pending = slow_send
        flush_fully_before_commit(app)  # connects nothing: only the buffer runs
        await buffer.start()
        try:
            buffer.pending.put_nowait("last table write")
            while buffer.size:  # the sender took it off the queue and is handing it over
                await asyncio.sleep(0.01)
            await buffer.flush()  # what faust awaits before it commits offsets
            return list(handed)
        finally:
            await buffer.stop()

    assert asyncio.run(scenario()) == ["last table write"]
