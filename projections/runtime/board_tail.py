"""The last seq each facility published on the board topic.

After a crash the tables come back from their changelogs, which may be a few
writes behind what the board topic already carries; numbering must go on
after the highest seq published, never repeat one. The board topic is keyed
by facility id with as many partitions as the event topics, so a facility's
board messages are in the partition number of its events.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from base.kafka_clients import connection_options
from base.settings import Settings
from events.board import decode_board

FIRST_LOOK = 2_000


async def last_published_seqs(settings: Settings, facilities: Mapping[int, set[str]]) -> dict[str, int]:
    """Highest seq per facility found at the end of the board partitions
    (partition -> its facilities); reads further back until each is found."""
    consumer = AIOKafkaConsumer(**connection_options(settings), enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: dict[str, int] = {}
    try:
        tps = [TopicPartition(settings.topics.board, p) for p in facilities]
        if not tps:
            return found
        consumer.assign(tps)
        starts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        for tp in tps:
            await _scan_back(consumer, tp, starts[tp], ends[tp], facilities[tp.partition], found)
    finally:
        await consumer.stop()
    return found


async def _scan_back(consumer, tp, first: int, end: int, facilities: set[str], found: dict[str, int]) -> None:
    stop, look = end, FIRST_LOOK
    while stop > first:
        start = max(first, stop - look)
        consumer.seek(tp, start)
        position = start
        while position < stop:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            if not batch:
                break
            for record in batch.get(tp, []):
                if record.offset >= stop:
                    break
                message = decode_board(record.value)
                found[message.facility_id] = max(found.get(message.facility_id, 0), message.seq)
            position = await consumer.position(tp)
        if facilities <= found.keys():
            return
        stop, look = start, look * 2
