"""Asking the projection worker for a facility's snapshot, when the board
stream has a gap or starts mid-way (an expired head, a worker that lost its
place). The worker answers on the board topic like any snapshot."""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from base import kafka_clients
from base.settings import Settings

log = logging.getLogger("edflow.dashboard")
# One request per facility per interval: a burst of deltas after a gap is one gap.
ASK_EVERY_SECONDS = 10.0


class SnapshotRequests:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.topic = settings.topics.board_requests
        self.asked: dict[str, float] = {}
        self.producer: AIOKafkaProducer | None = None
        self.pending: set[asyncio.Task] = set()

    def ask(self, facility: str) -> None:
        now = time.monotonic()
        if now - self.asked.get(facility, -ASK_EVERY_SECONDS) < ASK_EVERY_SECONDS:
            return
        self.asked[facility] = now
        task = asyncio.get_running_loop().create_task(self._send(facility))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(self, facility: str) -> None:
        try:
            if self.producer is None:
                self.producer = kafka_clients.producer(self.settings, client_id="edflow-dashboard")
                await self.producer.start()
            # Keyed by facility: lands on the partition that holds its events.
            await self.producer.send_and_wait(self.topic, facility.encode(), key=facility.encode())
            log.info("asked the projection worker for a snapshot of facility %s", facility)
        except KafkaError as error:
            self.asked.pop(facility, None)
            log.warning("could not ask for a snapshot of facility %s: %s", facility, error)

    async def close(self) -> None:
        for task in list(self.pending):
            task.cancel()
        if self.producer is not None:
            await self.producer.stop()
