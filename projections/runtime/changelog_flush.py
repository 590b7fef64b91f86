"""Offsets are committed only after every table write reached Kafka.

faust commits consumer offsets after `producer.flush()`, but its producer
buffer's flush (faust-streaming 0.15.3, `ProducerBuffer.flush_atmost`) gives
up when no message leaves the buffer for 0.1 s, and the commit goes ahead with
changelog writes still queued. On a busy machine that happens; a worker killed
then has committed events whose table writes are lost, and never folds them
again. This flush waits until the buffer is empty.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

WAIT_STEP = 0.5
BUFFERED = 5_000


async def _flush_until_empty(buffer: Any) -> None:
    while buffer.size:
        if buffer.state != "running":
            raise RuntimeError("cannot flush table writes: the producer is not running")
        buffer.message_sent.clear()
        try:
            await asyncio.wait_for(buffer.message_sent.wait(), timeout=WAIT_STEP)
        except TimeoutError:
            continue  # slow, not done: keep waiting rather than commit ahead of the changelog


def flush_fully_before_commit(app: Any, buffered: int = BUFFERED) -> None:
    """Make `app`'s producer buffer flush drain completely (creates the producer object; connects nothing)."""
    buffer = app.producer.buffer
    buffer.flush = types.MethodType(_flush_until_empty, buffer)
    # Each event writes 3-5 entries; faust's default of 100 buffered writes
    # pauses the stream every ~25 events to drain it.
    buffer.max_messages = buffered
