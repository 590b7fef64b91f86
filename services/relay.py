"""The outbox relay: the event store's notification log, in order, onto Kafka.

Each batch is read after the tracked position, sent, and recorded as done only
once the broker has acknowledged every record in it. Tracking lives in the
event store itself (eventsourcing's tracking table), so a relay killed at any
moment restarts from the last acknowledged batch: it may repeat a suffix of
what it sent (consumers drop repeats by event id), it never skips.

Logs carry counts and positions only; event contents are patient data.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from eventsourcing.persistence import IntegrityError, Notification, PersistenceError, Tracking

from deploy.settings import Settings
from events.envelope import Envelope, encode
from events.topics import Topics
from services import kafka_clients
from services.recording import to_envelope

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
        self.tracking = app.factory.tracking_recorder()
        self.position: int | None = None

    def tracked_position(self) -> int:
        return self.tracking.max_tracking_id(RELAY_NAME) or 0

    def latest_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def read_batch(self, after: int) -> Batch | None:
        notifications = self.app.recorder.select_notifications(
            after, limit=self.batch_size, inclusive_of_start=False
        )
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
        except Exception as error:  # noqa: BLE001 - any decode failure must stop the relay, named
            raise RelayHalted(
                f"store position {notification.id} cannot be read ({type(error).__name__}); "
                "check EDFLOW_CIPHER_KEY and that this edflow version knows the stored event"
            ) from error
        return None if envelope is None else outgoing(envelope, self.topics)

    async def publish(self, batch: Batch) -> None:
        """Send every record, then wait for all acknowledgements (raises KafkaError)."""
        acks = [
            await self.producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in batch.records
        ]
        # Wait for every outcome, so no failed acknowledgement goes unobserved.
        outcomes = await asyncio.gather(*acks, return_exceptions=True)
        for outcome in outcomes:
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
        """Publish the next batch; None when the log holds nothing new."""
        if self.position is None:
            self.position = await asyncio.to_thread(self.tracked_position)
        batch = await asyncio.to_thread(self.read_batch, self.position)
        if batch is None:
            return None
        await self.publish(batch)
        await asyncio.to_thread(self.record, batch.last_position)
        return batch


@dataclass
class RelayProgress:
    published: int = 0
    internal: int = 0
    batches: int = 0
    position: int = 0

    def add(self, batch: Batch) -> None:
        self.published += len(batch.records)
        self.internal += batch.internal
        self.batches += 1
        self.position = batch.last_position


# Seconds to wait before reconnecting after consecutive failures.
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


async def run_relay(
    app: Any,
    settings: Settings,
    stop: asyncio.Event,
    once: bool = False,
    on_batch: Callable[[RelayProgress], None] | None = None,
) -> RelayProgress:
    """Relay until `stop` is set (or, with `once`, until the log is drained).

    A broker or store outage is logged in one line and retried with backoff;
    the unacknowledged batch is sent again from the tracked position."""
    progress = RelayProgress()
    failures = 0
    while not stop.is_set():
        producer = kafka_clients.producer(settings)
        relay = Relay(app, producer, settings.topics, settings.relay_batch)
        try:
            await producer.start()
            if failures:
                log.info("connected to Kafka at %s", settings.kafka_bootstrap)
            async for batch in _batches(relay, stop, once, settings.relay_poll_seconds):
                failures = 0
                progress.add(batch)
                log.debug("published %d records up to position %d", len(batch.records), batch.last_position)
                if on_batch is not None:
                    on_batch(progress)
            return progress
        except KafkaError as error:
            what = f"Kafka at {settings.kafka_bootstrap} is unavailable ({error})"
        except PersistenceError as error:
            what = f"the event store is unavailable ({type(error).__name__})"
        finally:
            await _stop_quietly(producer)
        delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
        failures += 1
        log.warning("%s; retrying in %.1f s from the last acknowledged position", what, delay)
        await sleep_unless(stop, delay)
    return progress


async def _batches(relay: Relay, stop: asyncio.Event, once: bool, poll_seconds: float):
    # The stop flag is checked between batches only: a batch in flight is
    # finished and recorded before the relay exits.
    while not stop.is_set():
        batch = await relay.relay_batch()
        if batch is not None:
            yield batch
        elif once:
            return
        else:
            await sleep_unless(stop, poll_seconds)


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await producer.stop()
    except KafkaError as error:
        log.debug("closing the producer: %s", error)
