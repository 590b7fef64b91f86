"""How fast the relay moves events from the store to broker-acknowledged,
against its two ingredients measured in the same run:

  store read+decode   select_notifications + to_envelope + encode, no Kafka
  raw Kafka produce   the same encoded records, same producer options and
                      batching (send a batch, await every ack), no store
  relay               the real relay from position 0, tracking included

Prints a table; asserts nothing. Needs the broker (bash deploy/kafka.sh start).

    .venv/bin/python deploy/bench/bench_relay.py [--events 20000] [--batch 500] [--store sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from base import kafka_clients
from base.settings import Settings
from base.topics import create_topics
from events.catalogue import PatientArrived, Person
from events.envelope import Actor
from services.ed.application import encounter_id_for
from services.ed.domainmodel import Encounter
from services.hospital import Hospital
from services.recording import Meta
from services.relay import Relay, run_relay

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FACILITIES = ("fac-a", "fac-b", "fac-c")


def record_events(app: Hospital, events: int) -> None:
    """Arrive and triage visits (two events each), fifty visits per transaction."""
    actor = Actor(id="bench", role="system")
    pending = []
    for i in track(range(events // 2), description="recording events"):
        facility = FACILITIES[i % len(FACILITIES)]
        at = T0 + timedelta(seconds=i)
        arrived = PatientArrived(visit_number=f"V{i}", patient=Person(age_years=40), chief_complaint="abdominal pain")
        meta = Meta(facility_id=facility, occurred_at=at, actor=actor)
        encounter = Encounter.arrive(encounter_id_for(facility, f"V{i}"), arrived, meta)
        encounter.triage(1 + i % 5, Meta(facility_id=facility, occurred_at=at + timedelta(minutes=2), actor=actor))
        pending.append(encounter)
        if len(pending) == 50:
            app.save(*pending)
            pending = []
    app.save(*pending)


def read_and_decode(app: Hospital, settings: Settings) -> tuple[list, float]:
    relay = Relay(app, producer=None, topics=settings.topics, batch_size=settings.relay_batch)
    batches, position = [], 0
    started = time.perf_counter()
    while (batch := relay.read_batch(position)) is not None:
        batches.append(batch)
        position = batch.last_position
    return batches, time.perf_counter() - started


async def raw_produce(settings: Settings, batches: list) -> float:
    producer = kafka_clients.producer(settings)
    await producer.start()
    try:
        started = time.perf_counter()
        for batch in batches:
            acks = [await producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in batch.records]
            await asyncio.gather(*acks)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def relay_all(app: Hospital, settings: Settings) -> tuple[int, float]:
    started = time.perf_counter()
    progress = await run_relay(app, settings, asyncio.Event(), once=True)
    return progress.published, time.perf_counter() - started


async def drop_topics(settings: Settings) -> None:
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        await admin.delete_topics([settings.topics.ed, settings.topics.access, settings.topics.board])
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="events to record and relay")
    parser.add_argument("--batch", type=int, default=500, help="relay batch size (EDFLOW_RELAY_BATCH)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        base_dsn = os.environ.get("EDFLOW_TEST_POSTGRES_DSN", "")
        store = {"event_store": args.store, "postgres_dsn": base_dsn}
        if args.store == "postgres":
            store["postgres_dsn"] = fresh_database(base_dsn)
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        settings = Settings(data_dir=Path(data_dir), topic_prefix=prefix, relay_batch=args.batch, **store)
        app = Hospital(settings)
        try:
            record_events(app, args.events)
            asyncio.run(create_topics(settings))
            batches, read_seconds = read_and_decode(app, settings)
            events = sum(len(b.records) for b in batches)
            produce_seconds = asyncio.run(raw_produce(settings, batches))
            relayed, relay_seconds = asyncio.run(relay_all(app, settings))
            asyncio.run(drop_topics(settings))
        finally:
            app.close()
            if args.store == "postgres":
                drop_database(base_dsn, settings.postgres_dsn)

    title = f"relay, {events} events, batch {args.batch}, {args.store} store, broker {settings.kafka_bootstrap}"
    table = Table(title=title)
    table.add_column("stage")
    table.add_column("events", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("events/s", justify="right")
    table.add_column("vs raw produce", justify="right")
    for stage, count, seconds in (
        ("store read+decode", events, read_seconds),
        ("raw Kafka produce (acks=all, idempotent)", events, produce_seconds),
        ("relay store -> acknowledged", relayed, relay_seconds),
    ):
        rate, relative = f"{count / seconds:,.0f}", f"{produce_seconds / seconds:.2f}x"
        table.add_row(stage, str(count), f"{seconds:.2f}", rate, relative)
    Console().print(table)


def fresh_database(base_dsn: str) -> str:
    import psycopg

    if not base_dsn:
        raise SystemExit("--store postgres needs EDFLOW_TEST_POSTGRES_DSN (bash deploy/postgres.sh start)")
    name = f"edflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_dsn.rsplit("/", 1)[0] + "/" + name


def drop_database(base_dsn: str, dsn: str) -> None:
    import psycopg

    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
