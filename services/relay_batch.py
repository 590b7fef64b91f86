"""One relay step: read a batch of the store's log after the tracked
position, send it, and record the batch's last position only once the broker
has acknowledged every record in it.

Tracking lives in the event store itself (eventsourcing's tracking table), so
a relay killed at any moment restarts from the last acknowledged batch: it may
repeat a suffix of what it sent (consumers drop repeats by event id), it never
skips. Logs carry counts and positions only; event contents are patient data.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from base.store_log import page_after, to_envelope
from events.envelope import Envelope, encode
from events.topics import Topics
from services.store_env import created_despite_others

RELAY_NAME = "kafka-relay"
log = logging.getLogger("edflow.relay")


def tracked_position(app: Any) -> int:
    """The last store position the broker acknowledged (0 before the first)."""
    return app.factory.tracking_recorder().max_tracking_id(RELAY_NAME) or 0


class RelayHalted(Exception):
    """A stored event cannot be published. The relay stops rather than skip it."""


@dataclass(frozen=True)
class Outgoing:
    """One record to publish: where it goes and what it carries."""

    position: int
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(frozen=True)
class Batch:
    last_position: int
    records: list[Outgoing]
    internal: int  # notifications that are not published (idempotency receipts)


def outgoing(envelope: Envelope, topics: Topics) -> Outgoing:
    try:
        topic = topics.for_fact(envelope.data)
    except KeyError as error:
        raise RelayHalted(f"store position {envelope.position}: {error.args[0]}") from None
    return Outgoing(
        position=envelope.position,
        topic=topic,
        key=envelope.facility_id.encode(),
        value=encode(envelope),
        headers=[
            ("event_type", envelope.type.encode()),
            ("event_id", str(envelope.event_id).encode()),
            ("schema_version", str(envelope.schema_version).encode()),
        ],
    )


class Relay:
    """Moves the store's log onto Kafka, one acknowledged batch at a time."""

    def __init__(self, app: Any, producer: AIOKafkaProducer, topics: Topics, batch_size: int):
        self.app = app
        self.producer = producer
        self.topics = topics
        self.batch_size = batch_size
        self.tracking = created_despite_others(app.factory.tracking_recorder)
        self.position: int | None = None
        self._read_ahead: tuple[int, asyncio.Future[Batch | None]] | None = None

    def tracked_position(self) -> int:
        return self.tracking.max_tracking_id(RELAY_NAME) or 0

    def read_batch(self, after: int) -> Batch | None:
        notifications = page_after(self.app, after, limit=self.batch_size)
        if not notifications:
            return None
        records, last = [], after
        for notification in notifications:
            try:
                record = self._to_outgoing(notification)
            except RelayHalted:
                if last == after:
                    raise
                break  # publish what precedes it; the next batch starts at it and halts
            if record is not None:
                records.append(record)
            last = notification.id
        passed = sum(1 for n in notifications if after < n.id <= last)
        return Batch(last, records, internal=passed - len(records))

    def _to_outgoing(self, notification: Notification) -> Outgoing | None:
        try:
            envelope = to_envelope(notification, self.app.mapper.to_domain_event(notification))
        except RelayHalted:
            raise
        except Exception as error:
            raise RelayHalted(
                f"store position {notification.id} cannot be read ({type(error).__name__}); "
                "check EDFLOW_CIPHER_KEY and that this edflow version knows the stored event"
            ) from error
        return None if envelope is None else outgoing(envelope, self.topics)

    async def send(self, batch: Batch) -> list[asyncio.Future]:
        """Hand every record to the producer; returns one acknowledgement future each."""
        return [await self.producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in batch.records]

    @staticmethod
    async def acknowledged(acks: list[asyncio.Future]) -> None:
        """Wait for every outcome, so no failure goes unobserved; raises the first KafkaError."""
        for outcome in await asyncio.gather(*acks, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome

    def record(self, position: int) -> None:
        try:
            self.tracking.insert_tracking(Tracking(RELAY_NAME, position))
        except IntegrityError:
            # Only a second relay on the same store moves tracking past us.
            ahead = self.tracked_position()
            log.warning("another relay recorded position %d; continuing from there", ahead)
            position = max(position, ahead)
        self.position = position

    async def relay_batch(self) -> Batch | None:
        """Publish the next batch; None when the log holds nothing new.

        While the broker acknowledges one batch the next is read from the
        store, but it is sent only after this one is acknowledged and recorded:
        a failed batch is then never overtaken by a later one."""
        if self.position is None:
            self.position = await asyncio.to_thread(self.tracked_position)
        batch = await self._next_batch(self.position)
        if batch is None:
            return None
        try:
            acks = await self.send(batch)
            reading = asyncio.ensure_future(asyncio.to_thread(self.read_batch, batch.last_position))
            self._read_ahead = (batch.last_position, reading)
            await self.acknowledged(acks)
        except BaseException:
            self.discard_read_ahead()
            raise
        await asyncio.to_thread(self.record, batch.last_position)
        return batch

    async def _next_batch(self, position: int) -> Batch | None:
        read_ahead, self._read_ahead = self._read_ahead, None
        if read_ahead is not None and read_ahead[0] == position:
            return await read_ahead[1]
        if read_ahead is not None:
            await asyncio.gather(read_ahead[1], return_exceptions=True)
        return await asyncio.to_thread(self.read_batch, position)

    def discard_read_ahead(self) -> None:
        if self._read_ahead is not None:
            # Observe its outcome so an error there is not reported as unhandled.
            self._read_ahead[1].add_done_callback(lambda task: task.cancelled() or task.exception())
            self._read_ahead = None
