"""Real-broker plumbing for the worker tests: topics, a relay-like producer,
a board reader, and the worker as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from base.kafka_clients import connection_options, producer_options
from base.settings import Settings
from base.topics import create_topics
from events.board import BoardMessage, decode_board
from events.envelope import Envelope, encode

EDFLOW = str(Path(sys.executable).parent / "edflow")


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "EDFLOW_DATA_DIR": str(settings.data_dir),
        "EDFLOW_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "EDFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "EDFLOW_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "EDFLOW_WORKER_ID": settings.worker_id,
        "EDFLOW_TABLE_STORE": settings.table_store,
        "EDFLOW_BOARD_SNAPSHOT_EVERY": str(settings.board_snapshot_every),
        "EDFLOW_BOARD_REFRESH_SECONDS": str(settings.board_refresh_seconds),
    }


async def prepare_topics(settings: Settings) -> None:
    """What a deployment does first: `edflow topics create`."""
    await create_topics(settings)


async def produce(settings: Settings, envelopes: Iterable[Envelope], repeat_every: int = 0) -> int:
    """Publish like the relay (acks=all, key = facility id); with `repeat_every`,
    every n-th record is published twice, as a relay that retried would."""
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    sent = 0
    try:
        for n, envelope in enumerate(envelopes, start=1):
            topic, key, value = settings.topics.for_fact(envelope.data), envelope.facility_id.encode(), encode(envelope)
            for _ in range(2 if repeat_every and n % repeat_every == 0 else 1):
                await producer.send(topic, value, key=key)
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def request_snapshot(producer: AIOKafkaProducer, settings: Settings, facility_id: str) -> None:
    key = facility_id.encode()
    await producer.send_and_wait(settings.topics.board_requests, key, key=key)


async def read_board_until_caught_up(
    settings: Settings, facility_id: str, positions: dict[str, int], timeout: float = 120.0
) -> list[BoardMessage]:
    """Every board message from the start, until a snapshot of `facility_id`
    covers `positions`. Asks the worker for a snapshot every few seconds, as a
    dashboard that wants a fresh board would."""
    consumer = AIOKafkaConsumer(
        settings.topics.board, **connection_options(settings), auto_offset_reset="earliest", enable_auto_commit=False
    )
    producer = AIOKafkaProducer(**producer_options(settings))
    await consumer.start()
    await producer.start()
    messages: list[BoardMessage] = []
    deadline, asked = time.monotonic() + timeout, 0.0
    try:
        while not any(caught_up(m, facility_id, positions) for m in messages):
            if time.monotonic() > deadline:
                last = messages[-1].positions if messages else None
                raise TimeoutError(f"no snapshot at {positions} after {timeout}s; last positions {last}")
            if time.monotonic() - asked > 3.0:
                await request_snapshot(producer, settings, facility_id)
                asked = time.monotonic()
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                messages.extend(decode_board(r.value) for r in records)
    finally:
        await producer.stop()
        await consumer.stop()
    return [m for m in messages if m.facility_id == facility_id]


def caught_up(message: BoardMessage, facility_id: str, positions: dict[str, int]) -> bool:
    return message.facility_id == facility_id and message.type == "snapshot" and message.positions == positions


async def committed_offsets(settings: Settings) -> dict[str, int]:
    """The worker group's committed offsets, summed per event topic."""
    admin = AIOKafkaAdminClient(**connection_options(settings))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.worker_id)
    finally:
        await admin.close()
    totals: dict[str, int] = {}
    for tp, meta in offsets.items():
        if tp.topic in settings.topics.event_topics and meta.offset >= 0:
            totals[tp.topic] = totals.get(tp.topic, 0) + meta.offset
    return totals


class WorkerProcess:
    """`edflow worker` as a real subprocess; its log goes to a file."""

    def __init__(self, settings: Settings, log_path: Path, command: list[str] | None = None):
        self.settings, self.log_path = settings, log_path
        self.command = command or [EDFLOW, "worker", "--loglevel", "info"]
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, env=worker_env(self.settings), stdout=log, stderr=log)
        return self

    def _started(self) -> subprocess.Popen:
        if self.process is None:
            raise RuntimeError("the worker was never started")
        return self.process

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60.0, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log()[after:]:
            if (process := self._started()).poll() is not None:
                raise AssertionError(f"worker exited ({process.returncode}):\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker never logged {text!r}:\n{self.log()[-3000:]}")
            time.sleep(0.2)

    def signal(self, signum: int) -> None:
        self._started().send_signal(signum)

    def kill(self) -> None:
        process = self._started()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(timeout=10)
        return self.process.returncode if self.process else 0
