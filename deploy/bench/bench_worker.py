"""How fast the live worker folds a backlog, and how far behind the topic end it stays.

Baseline, measured in the same run on the same records: a bare aiokafka
consumer that reads and decodes the event topics (no fold, no tables, no
board). Then `edflow worker` (RocksDB tables) drains the same backlog; its
consumer-group lag (end offsets minus committed offsets) is sampled twice a
second. Then the same backlog on topics of its own, and a worker SIGKILLed a
third of the way through it and started again: how long from the restart
to zero lag. Prints figures; asserts nothing.

    .venv/bin/python deploy/bench/bench_worker.py [--patients 300] [--facilities 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from base.kafka_clients import connection_options
from base.settings import Settings
from events.envelope import decode
from projections import fold
from tests.conftest import Clock
from tests.projections.runtime.kafka_io import WorkerProcess, prepare_topics, produce
from tests.projections.runtime.scenario import record_day


def across_facilities(envelopes: list, facilities: int) -> list:
    """The same day at several facilities, so the records spread over partitions."""
    return [msgspec.structs.replace(e, facility_id=f"bench-{n}") for n in range(facilities) for e in envelopes]


async def baseline_rate(settings: Settings, total: int) -> float:
    consumer = AIOKafkaConsumer(
        *settings.topics.event_topics,
        **connection_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    read, started = 0, time.perf_counter()
    try:
        while read < total:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=2000)).values():
                for record in records:
                    decode(record.value)
                    read += 1
    finally:
        await consumer.stop()
    return read / (time.perf_counter() - started)


async def group_lag(admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, settings: Settings) -> int:
    committed = await admin.list_consumer_group_offsets(settings.worker_id)
    partitions = list(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    return sum(end - max(committed[tp].offset, 0) if tp in committed else end for tp, end in ends.items())


async def sample_worker(
    settings: Settings, total: int, worker: WorkerProcess, after: int = 0
) -> tuple[float, list[tuple[float, int]]]:
    """Seconds from the worker's being ready (its log past `after`) to zero lag, and the lag samples."""
    admin = AIOKafkaAdminClient(**connection_options(settings))
    probe = AIOKafkaConsumer(**connection_options(settings), enable_auto_commit=False)
    await admin.start()
    await probe.start()
    from aiokafka import TopicPartition

    probe.assign([TopicPartition(t, p) for t in settings.topics.event_topics for p in range(settings.topic_partitions)])
    samples: list[tuple[float, int]] = []
    try:
        while "requesting board snapshots" not in worker.log()[after:]:
            await asyncio.sleep(0.1)
        started = time.perf_counter()
        while True:
            lag = await group_lag(admin, probe, settings)
            samples.append((time.perf_counter() - started, lag))
            if lag == 0:
                return time.perf_counter() - started, samples
            await asyncio.sleep(0.5)
    finally:
        await probe.stop()
        await admin.close()


PROGRESS = re.compile(r"^\[([\d-]+ [\d:,]+)\].*projected events=(\d+)", re.MULTILINE)


def logged_rate(log: str) -> float:
    """Events/s between the worker's first and last progress lines (its own count)."""
    points = [(datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f"), int(n)) for at, n in PROGRESS.findall(log)]
    if len(points) < 2:
        return float("nan")
    (t0, n0), (t1, n1) = points[0], points[-1]
    return (n1 - n0) / max((t1 - t0).total_seconds(), 1e-9)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a running process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def folded(log: str) -> int:
    """Events the worker last reported folding (0 before its first progress line)."""
    counts = re.findall(r"projected events=(\d+)", log)
    return int(counts[-1]) if counts else 0


def killed_and_restarted(envelopes: list, total: int, home: Path, prefix: str) -> None:
    """The backlog on topics of its own; the worker SIGKILLed a third of the
    way through it; the time from its restart to zero committed lag."""
    settings = Settings(data_dir=home / "killed-home", topic_prefix=f"{prefix}k", worker_id=f"{prefix}k-projections")
    asyncio.run(prepare_topics(settings))
    asyncio.run(produce(settings, envelopes))
    log = home / "killed.log"
    first = WorkerProcess(settings, log).start()
    try:
        while folded(first.log()) < total // 3:
            first.wait_for_log("projected events=", after=len(first.log()))
    finally:
        first.kill()
    at_kill, seen = folded(first.log()), len(first.log())
    launched = time.perf_counter()
    second = WorkerProcess(settings, log).start()
    try:
        ready_to_zero, _ = asyncio.run(sample_worker(settings, total, second, after=seen))
        since_launch = time.perf_counter() - launched
    finally:
        second.stop()
    print(
        f"SIGKILL after {at_kill:,} of {total:,} events folded; restarted: zero committed lag {since_launch:.1f}s "
        f"after the restart ({ready_to_zero:.1f}s after it was ready; the rest is start-up and table recovery)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--facilities", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="edflow-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=home / "worker-home", topic_prefix=prefix, worker_id=f"{prefix}-projections")

    envelopes = across_facilities(
        record_day(home / "store", Clock(), args.patients, facility_id="bench"), args.facilities
    )
    asyncio.run(prepare_topics(settings))
    total = asyncio.run(produce(settings, envelopes))
    print(f"backlog: {total} records, {args.facilities} facilities, {settings.topic_partitions} partitions")

    raw = asyncio.run(baseline_rate(settings, total))
    print(f"baseline consume+decode: {raw:,.0f} events/s")
    started = time.perf_counter()
    fold.fold_into({}, envelopes)
    print(
        f"pure fold in memory (no Kafka, no tables): {len(envelopes) / (time.perf_counter() - started):,.0f} events/s"
    )

    worker = WorkerProcess(settings, home / "worker.log").start()
    try:
        elapsed, samples = asyncio.run(sample_worker(settings, total, worker))
        cpu = cpu_seconds(worker.process.pid) if worker.process else float("nan")
    finally:
        worker.stop()
    print(
        f"live worker (rocksdb): {total / elapsed:,.0f} events/s to zero committed lag "
        f"({elapsed:.1f}s; offsets committed every second, lag sampled every half second)"
    )
    print(f"  = {total / elapsed / raw:.1%} of the baseline")
    print(f"live worker folding rate from its progress log: {logged_rate(worker.log()):,.0f} events/s")
    print(
        f"  worker CPU time, start-up included: {cpu:.1f}s, {cpu / total * 1e6:,.0f} us per event "
        f"({total / cpu:,.0f} events per CPU-second)"
    )
    print(
        "  lag samples (s, records):", ", ".join(f"{t:.1f}:{lag}" for t, lag in samples[:: max(1, len(samples) // 12)])
    )
    killed_and_restarted(envelopes, total, home, prefix)


if __name__ == "__main__":
    main()
