"""Replay's Kafka source: every event on the event topics, read without a
consumer group from the beginning to the end offsets at the moment replay
begins, so `edflow replay --source kafka` folds exactly what was published.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
from aiokafka.errors import KafkaError

from base import kafka_clients
from base.settings import Settings
from events.envelope import Envelope, decode
from projections.replay import ReplayError


async def kafka_envelopes(
    settings: Settings,
    topics: tuple[str, ...] | list[str],
    on_record: Callable[[int, int], None] | None = None,
    timeout: float = 15.0,
) -> list[Envelope]:
    """Every event on the topics from the beginning to their end offsets now,
    without a consumer group, duplicates dropped by event id, in store order."""
    consumer = kafka_clients.consumer(settings, group_id=None, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(consumer.start(), timeout)
        existing = await asyncio.wait_for(consumer.topics(), timeout)
    except (TimeoutError, KafkaError, OSError) as error:
        await consumer.stop()
        raise ReplayError(
            f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(error).__name__}); is the broker up?"
        ) from None
    try:
        missing = [t for t in topics if t not in existing]
        if missing:
            raise ReplayError(
                f"topic {missing[0]} does not exist on {settings.kafka_bootstrap}; check EDFLOW_TOPIC_PREFIX"
            )
        # Without a group, a subscription is assigned every partition of its topics.
        consumer.subscribe(topics=list(topics))
        deadline = asyncio.get_running_loop().time() + timeout
        while not consumer.assignment():
            if asyncio.get_running_loop().time() > deadline:
                raise ReplayError(f"no partitions of {', '.join(topics)} were assigned within {timeout:.0f} s")
            await asyncio.sleep(0.05)
        partitions = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        total = sum(ends.values())
        seen: dict[UUID, Envelope] = {}
        done = 0
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue  # recorded after the replay began
                    envelope = _decoded(record)
                    seen.setdefault(envelope.event_id, envelope)
                    done += 1
                if on_record is not None:
                    on_record(done, total)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    return sorted(seen.values(), key=lambda e: e.position)


def _decoded(record: Any) -> Envelope:
    try:
        return decode(record.value)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        # Where, not what: the payload may hold patient data.
        raise ReplayError(
            f"undecodable record at {record.topic}[{record.partition}]@{record.offset}: {error}"
        ) from None
