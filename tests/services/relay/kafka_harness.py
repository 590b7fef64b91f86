"""Reading and tidying the real broker from tests: plain aiokafka clients,
the way any consumer of edflow's topics would."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from aiokafka.structs import ConsumerRecord, TopicPartition

from base import kafka_clients
from base.settings import Settings
from base.topics import create_topics, describe_topics
from deploy.chaos.processes import server_environment

EDFLOW = str(Path(sys.executable).parent / "edflow")


def with_topics(settings: Settings) -> Settings:
    asyncio.run(create_topics(settings))
    return settings


def relay_environment(settings: Settings) -> dict[str, str]:
    """The EDFLOW_* variables that make a subprocess use these settings."""
    return server_environment(
        settings,
        EDFLOW_CIPHER_KEY=settings.cipher_key,
        EDFLOW_RELAY_BATCH=str(settings.relay_batch),
        EDFLOW_RELAY_POLL_SECONDS=str(settings.relay_poll_seconds),
    )


def start_relay(settings: Settings, log: Path, *args: str, **env: str) -> subprocess.Popen:
    """`edflow relay` as its own process, its output appended to `log`."""
    return subprocess.Popen(
        [EDFLOW, "relay", *args],
        env={**relay_environment(settings), **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def read_records(
    settings: Settings, topics: list[str], at_least: int, timeout: float = 30.0
) -> list[ConsumerRecord]:
    """Every record on the topics, in partition order, once `at_least` have
    arrived (or the timeout passed: the caller's assertion then says what is missing)."""
    consumer = kafka_clients.consumer(settings, *topics, group_id=None)
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < at_least and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
        # Anything more that is already there (repeats) is read too.
        while batches := await consumer.getmany(timeout_ms=500):
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def published_count(settings: Settings) -> int:
    """How many records the event topics hold (the sum of their end offsets)."""
    states = await describe_topics(settings, list(settings.topics.event_topics))
    partitions = [TopicPartition(s.name, p) for s in states for p in range(s.partitions)]
    consumer = kafka_clients.consumer(settings, group_id=None)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


@contextmanager
def serving(app, startup_timeout: float = 20.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, f"uvicorn did not start on port {port}"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
