"""Offsets are committed only after every table write reached Kafka.

faust commits consumer offsets after `producer.flush()`, but its producer
buffer's flush (faust-streaming 0.15.3, `ProducerBuffer.flush_atmost`) gives
up when no message leaves the buffer for 0.1 s, and the commit goes ahead with
changelog writes still queued. On a busy machine that happens; a worker killed
then has committed events whose table writes are lost, and never folds them
again. This flush waits until the buffer is empty.

Empty is not enough: the buffer's sender takes a write off the queue before it
hands it to the Kafka producer, and that hand-over waits while the producer's
batch for the partition is full (a slow broker). A write in that state is in
neither the buffer nor the producer, so neither flush waited for it and the
commit went ahead without it. The sender therefore counts the writes it is
handing over, and the flush also waits until none is.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

WAIT_STEP = 0.5
BUFFERED = 5_000


def _unsent(buffer: Any) -> int:
    """Writes queued in the buffer or still being handed to the producer."""
    return int(buffer.size) + getattr(buffer, "handing_over", 0)


async def _flush_until_empty(buffer: Any) -> None:
    while _unsent(buffer):
        if buffer.state != "running":
            raise RuntimeError("cannot flush table writes: the producer is not running")
        buffer.message_sent.clear()
        try:
            await asyncio.wait_for(buffer.message_sent.wait(), timeout=WAIT_STEP)
        except TimeoutError:
            continue  # slow, not done: keep waiting rather than commit ahead of the changelog


def _count_hand_overs(buffer: Any) -> None:
    send = buffer._send_pending
    buffer.handing_over = 0

    async def send_counted(fut: Any) -> None:
        buffer.handing_over += 1
        try:
            await send(fut)
        finally:
            buffer.handing_over -= 1

    # Read by the buffer's sender task when it starts (the producer starts later).
    buffer._send_pending = send_counted


def flush_fully_before_commit(app: Any, buffered: int = BUFFERED) -> None:
    """Make `app`'s producer buffer flush drain completely, including writes
    being handed to the producer (creates the producer object; connects nothing)."""
    buffer = app.producer.buffer
    _count_hand_overs(buffer)
    buffer.flush = types.MethodType(_flush_until_empty, buffer)
    # Each event writes 3-5 entries; faust's default of 100 buffered writes
    # pauses the stream every ~25 events to drain it.
    buffer.max_messages = buffered
