"""Read a partition from its beginning when the worker group never committed it.

faust-streaming 0.15.3 seeks a newly assigned partition only to a committed
offset (aiokafka's `seek_to_committed` skips partitions without one); the
consumer's fetch position for the others is wherever fetching got while the
tables were recovering, and records fetched then are dropped. A worker that
starts on a backlog, or dies before its first commit, would skip events. So,
after recovery and before the streams resume, such partitions are explicitly
rewound to their first record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from base import kafka_clients
from base.settings import Settings

log = logging.getLogger("edflow.worker")


async def rewind_uncommitted(app: Any, settings: Settings, partitions: Iterable[Any]) -> dict[tuple[str, int], int]:
    """Seek the partitions (faust TPs) without a committed offset to their
    beginning; where each partition resumes, by (topic, partition)."""
    partitions = list(partitions)
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(settings.worker_id)
    finally:
        await admin.close()
    fresh = [
        tp
        for tp in partitions
        if (found := committed.get(TopicPartition(tp.topic, tp.partition))) is None or found.offset < 0
    ]
    starts = {
        (tp.topic, tp.partition): found.offset
        for tp in partitions
        if (found := committed.get(TopicPartition(tp.topic, tp.partition))) is not None and found.offset >= 0
    }
    if fresh:
        log.info("no committed offset for %d partitions; reading them from the beginning", len(fresh))
        for tp, offset in (await _beginnings(settings, fresh)).items():
            await app.consumer.seek(tp, offset)
            starts[(tp.topic, tp.partition)] = offset
    return starts


async def _beginnings(settings: Settings, partitions: list[Any]) -> dict[Any, int]:
    probe = AIOKafkaConsumer(**kafka_clients.connection_options(settings), enable_auto_commit=False, group_id=None)
    await probe.start()
    try:
        found = await probe.beginning_offsets([TopicPartition(tp.topic, tp.partition) for tp in partitions])
    finally:
        await probe.stop()
    return {tp: found[TopicPartition(tp.topic, tp.partition)] for tp in partitions}
