"""The outbox relay: the event store's notification log, in order, onto Kafka.

`run_relay` repeats the acknowledged-batch step (`services.relay_batch`) until
stopped, waiting out broker and store outages with backoff. Of several relays
on one store only the holder of the relay lock (`services.relay_lock`)
publishes; the others stand by and one takes over when it dies. Logs carry counts
and positions only; event contents are patient data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from eventsourcing.persistence import PersistenceError

from base import kafka_clients
from base.settings import Settings
from services.audit.auto_checkpoints import AutoCheckpoints
from services.relay_batch import RELAY_NAME, Batch, Relay, RelayHalted, tracked_position
from services.relay_lock import LockLost, LockUnavailable, RelayLock, relay_lock

__all__ = ["RELAY_NAME", "Relay", "RelayBusy", "RelayHalted", "RelayProgress", "run_relay", "tracked_position"]

log = logging.getLogger("edflow.relay")


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

    Only the holder of the store's relay lock publishes: until it is free
    this relay stands by (with `once`, RelayBusy is raised instead). A broker
    or store outage is logged in one line and retried with backoff; the
    unacknowledged batch is sent again from the tracked position."""
    progress = RelayProgress()
    lock = relay_lock(settings)
    try:
        while await _acquire(lock, settings, stop, once):
            try:
                return await _publish(app, settings, stop, once, on_batch, progress, lock)
            except LockLost as error:
                log.warning("%s: standing by", error)
    finally:
        await asyncio.to_thread(lock.release)
    return progress


class RelayBusy(Exception):
    """Another relay holds the store's relay lock (and so publishes its log)."""


async def _acquire(lock: RelayLock, settings: Settings, stop: asyncio.Event, once: bool) -> bool:
    """Wait for the relay lock; False if stopped first."""
    standing_by, failures = False, 0
    while not stop.is_set():
        delay = settings.relay_standby_seconds
        try:
            if await asyncio.to_thread(lock.try_acquire):
                log.info("%s the relay lock: this relay publishes", "took over" if standing_by else "holding")
                return True
        except LockUnavailable as error:
            delay = max(delay, BACKOFF[min(failures, len(BACKOFF) - 1)])
            failures += 1
            log.warning("the relay lock cannot be tried: %s; retrying in %.1f s", error, delay)
        else:
            failures = 0
            if once:
                raise RelayBusy("another relay is publishing from this event store (it holds the relay lock)")
            if not standing_by:
                log.info("another relay holds the relay lock: standing by")
                standing_by = True
        await sleep_unless(stop, delay)
    return False


async def _publish(
    app: Any,
    settings: Settings,
    stop: asyncio.Event,
    once: bool,
    on_batch: Callable[[RelayProgress], None] | None,
    progress: RelayProgress,
    lock: RelayLock,
) -> RelayProgress:
    failures = 0
    # Signed checkpoints of the hash chain, at the relayed position; read
    # once the lock is held, so a relay taking over starts from the last one.
    checkpoints = AutoCheckpoints(app, settings) if settings.hash_chain else None
    while not stop.is_set():
        producer = kafka_clients.producer(settings)
        relay = Relay(app, producer, settings.topics, settings.relay_batch)
        try:
            await producer.start()
            await _require_topics(producer, settings.topics.event_topics)
            if failures:
                log.info("connected to Kafka at %s", settings.kafka_bootstrap)
            async for batch in _batches(relay, stop, once, settings.relay_poll_seconds, checkpoints, lock):
                failures = 0
                progress.add(batch)
                log.debug("published %d records up to position %d", len(batch.records), batch.last_position)
                if on_batch is not None:
                    on_batch(progress)
            return progress
        except TopicsMissing as error:
            what = error.args[0]
        except KafkaError as error:
            what = f"Kafka at {settings.kafka_bootstrap} is unavailable ({error})"
        except PersistenceError as error:
            what = f"the event store is unavailable ({type(error).__name__})"
        finally:
            relay.discard_read_ahead()
            await _stop_quietly(producer)
        delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
        failures += 1
        log.warning("%s; retrying in %.1f s from the last acknowledged position", what, delay)
        await sleep_unless(stop, delay)
        await asyncio.to_thread(lock.confirm)
    return progress


class TopicsMissing(KafkaError):
    """The broker does not have the event topics (it does not create them on first use)."""


async def _require_topics(producer: AIOKafkaProducer, topics: tuple[str, ...]) -> None:
    # Without this check a missing topic would surface only as a metadata
    # timeout, half a minute later, looking like an unreachable broker.
    cluster = await producer.client.fetch_all_metadata()
    missing = sorted(set(topics) - cluster.topics())
    if missing:
        raise TopicsMissing(f"topics {', '.join(missing)} do not exist: create them with `edflow topics create`")


async def _batches(
    relay: Relay,
    stop: asyncio.Event,
    once: bool,
    poll_seconds: float,
    checkpoints: AutoCheckpoints | None,
    lock: RelayLock,
) -> AsyncIterator[Batch]:
    # The stop flag is checked between batches only: a batch in flight is
    # finished and recorded before the relay exits. Before each batch the
    # relay confirms it still holds the lock.
    while not stop.is_set():
        await asyncio.to_thread(lock.confirm)
        batch = await relay.relay_batch()
        if batch is not None:
            yield batch
        elif once:
            break
        else:
            await sleep_unless(stop, poll_seconds)
        await _checkpoint(relay, checkpoints)
    await _checkpoint(relay, checkpoints, final=True)


async def _checkpoint(relay: Relay, checkpoints: AutoCheckpoints | None, final: bool = False) -> None:
    if checkpoints is not None and relay.position is not None and checkpoints.due(relay.position, final):
        await asyncio.to_thread(checkpoints.take, relay.position)


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
