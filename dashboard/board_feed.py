"""Reads the board topic into the fan-out.

No consumer group: every dashboard process reads every partition itself, from
the beginning (the topic keeps little: the latest snapshot per facility and
the deltas after it are what matter), so each process holds every facility's
board and any of them can serve any client behind a load balancer.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from base import kafka_clients
from base.settings import Settings
from base.topics import describe_topics
from dashboard.fanout import Fanout
from dashboard.snapshot_requests import SnapshotRequests
from events.board import decode_board

log = logging.getLogger("edflow.dashboard")
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


class BoardFeed:
    def __init__(self, settings: Settings, fanout: Fanout):
        self.settings, self.fanout = settings, fanout
        self.topic = settings.topics.board
        # Where to go on after a broker error, so nothing is re-applied.
        self.next_offsets: dict[TopicPartition, int] = {}
        self.requests = SnapshotRequests(settings)
        fanout.want_snapshot = self.requests.ask

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            await self.requests.close()

    async def _run(self) -> None:
        delay = RETRY_SECONDS
        while True:
            consumer = kafka_clients.consumer(self.settings, client_id="edflow-dashboard")
            try:
                await consumer.start()
                delay = RETRY_SECONDS
                await self._follow(consumer)
            except (KafkaError, OSError) as error:
                # The API beside us keeps working without a broker; the board waits.
                log.warning("board topic %s: %s; retrying in %.0fs", self.topic, error or type(error).__name__, delay)
            finally:
                await consumer.stop()
            await asyncio.sleep(delay)
            delay = min(MAX_RETRY_SECONDS, delay * 2)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        partitions = await self._partitions()
        consumer.assign(partitions)
        for tp in partitions:
            if tp in self.next_offsets:
                consumer.seek(tp, self.next_offsets[tp])
            else:
                await consumer.seek_to_beginning(tp)
        ends = await consumer.end_offsets(partitions)
        behind = {tp for tp in partitions if ends[tp] > self.next_offsets.get(tp, 0)}
        while True:
            if behind and not self.fanout.caught_up.is_set():
                behind = {tp for tp in behind if await consumer.position(tp) < ends[tp]}
            if not behind:
                self.fanout.mark_caught_up()
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    self._receive(tp, record)
                    self.next_offsets[tp] = record.offset + 1

    async def _partitions(self) -> list[TopicPartition]:
        waited = False
        while True:
            (state,) = await describe_topics(self.settings, [self.topic])
            if state.exists and state.partitions:
                return [TopicPartition(self.topic, n) for n in range(state.partitions)]
            if not waited:
                log.info("board topic %s does not exist yet; waiting for the projection worker", self.topic)
                waited = True
            # Nothing to catch up with: clients are told they wait for a board.
            self.fanout.mark_caught_up()
            await asyncio.sleep(RETRY_SECONDS)

    def _receive(self, tp: TopicPartition, record) -> None:
        if record.value is None:
            return  # a tombstone: nothing to show
        try:
            message = decode_board(record.value)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            # The record may hold patient details: log where it is, not what.
            log.error(
                "board topic %s partition %s offset %s: undecodable board message (%s); skipped",
                tp.topic,
                tp.partition,
                record.offset,
                type(error).__name__,
            )
            return
        self.fanout.receive(message, f"{tp.partition}:{record.offset}")
