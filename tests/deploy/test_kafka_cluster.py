"""A real three-broker cluster (deploy/kafka.sh with EDFLOW_KAFKA_BROKERS=3) on
its own ports and data dir: edflow's topics get three replicas with two in
sync, and an acknowledged event survives one broker being killed mid-stream,
exactly once and in order per facility."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.structs import RecordMetadata

from base import kafka_clients
from base.settings import Settings
from base.topics import broker_count, create_topics, describe_topics
from deploy.chaos.cluster import KAFKA_SH, KafkaCluster
from events.catalogue import BedBlocked
from events.envelope import Actor, Envelope, decode, event_id_for
from services.relay_batch import outgoing
from tests.services.relay.kafka_harness import read_records

pytestmark = pytest.mark.kafka

BROKERS = 3
FACILITIES = [f"fac-{n}" for n in range(6)]
STREAM_SECONDS = 8.0
SEND_EVERY = 0.01
KILL_AFTER = 1.5


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path / "data", brokers=BROKERS)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def envelope(facility: str, bed: uuid.UUID, seq: int) -> Envelope:
    now = datetime.now(UTC)
    return Envelope(
        event_id=event_id_for(bed, seq),
        type="BedBlocked",
        schema_version=BedBlocked.SCHEMA_VERSION,
        facility_id=facility,
        aggregate_type="Bed",
        aggregate_id=bed,
        aggregate_version=seq,
        position=seq,
        occurred_at=now,
        recorded_at=now,
        actor=Actor(id="cluster-test", role="system"),
        correlation_id=None,
        data=BedBlocked(reason=f"record {seq}"),
    )


async def stream_while_killing(cluster: KafkaCluster, settings: Settings, victim: int) -> dict[uuid.UUID, object]:
    """Send envelopes round-robin over the facilities at a steady pace with
    edflow's producer; SIGKILL node `victim` partway. Returns each event id's
    outcome: RecordMetadata when acknowledged, else the exception."""
    beds = {facility: uuid.uuid4() for facility in FACILITIES}
    producer = kafka_clients.producer(settings)
    await producer.start()
    outcomes: dict[uuid.UUID, asyncio.Future] = {}
    killing: asyncio.Task | None = None
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        seq = 0
        while loop.time() - start < STREAM_SECONDS:
            seq += 1
            for facility in FACILITIES:
                event = envelope(facility, beds[facility], seq)
                record = outgoing(event, settings.topics)
                outcomes[event.event_id] = await producer.send(
                    record.topic, value=record.value, key=record.key, headers=record.headers
                )
            if killing is None and loop.time() - start >= KILL_AFTER:
                killing = asyncio.create_task(asyncio.to_thread(cluster.kafka, "kill-node", str(victim)))
            await asyncio.sleep(SEND_EVERY)
        assert killing is not None
        await killing
        results = await asyncio.gather(*outcomes.values(), return_exceptions=True)
    finally:
        await producer.stop()
    return dict(zip(outcomes, results, strict=True))


async def partitions(settings: Settings, topic: str) -> list[dict]:
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return sorted(described["partitions"], key=lambda p: p["partition"])
    finally:
        await admin.close()


async def count_brokers(settings: Settings) -> int:
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        return await broker_count(admin)
    finally:
        await admin.close()


async def wait_for_full_isr(settings: Settings, topics: list[str], timeout: float = 30.0) -> dict[str, list[int]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        isr = {f"{t}/{p['partition']}": sorted(p["isr"]) for t in topics for p in await partitions(settings, t)}
        if all(len(nodes) == BROKERS for nodes in isr.values()) or asyncio.get_running_loop().time() > deadline:
            return isr
        await asyncio.sleep(0.5)


def test_a_three_broker_cluster_keeps_every_acknowledged_event_once_and_in_order_when_a_broker_dies(
    cluster: KafkaCluster, tmp_path: Path
):
    settings = Settings(data_dir=tmp_path, kafka_bootstrap=cluster.bootstrap, topic_prefix="cluster")
    topics = settings.topics

    outcomes = asyncio.run(create_topics(settings))
    assert [(o.created, o.mismatches) for o in outcomes] == [(True, [])] * 4
    for state in asyncio.run(describe_topics(settings)):
        assert (state.name, state.replication, state.configs["min.insync.replicas"]) == (state.name, 3, "2")
    assert all(len(p["isr"]) == BROKERS for p in asyncio.run(partitions(settings, topics.ed)))

    # The leader of the first partition dies, so some facilities' records
    # have to move to a new leader mid-stream.
    victim = asyncio.run(partitions(settings, topics.ed))[0]["leader"]
    sent = asyncio.run(stream_while_killing(cluster, settings, victim))
    assert asyncio.run(partitions(settings, topics.ed))[0]["leader"] != victim
    # With a broker down the cluster still counts as three: the plan does not shrink.
    assert asyncio.run(count_brokers(settings)) == BROKERS
    status = subprocess.run(["bash", str(KAFKA_SH), "status"], env=cluster.env, capture_output=True, text=True)
    assert status.returncode == 3 and f"node {victim}: not running" in status.stdout

    failed = {event_id: outcome for event_id, outcome in sent.items() if not isinstance(outcome, RecordMetadata)}
    acknowledged = set(sent) - set(failed)
    # With two of three brokers up every write still reaches min.insync.replicas=2.
    assert failed == {}

    records = asyncio.run(read_records(settings, [topics.ed], at_least=len(sent), timeout=30))
    received = [decode(r.value) for r in records]
    ids = [e.event_id for e in received]
    assert len(ids) == len(set(ids)), "a record was written twice"
    assert acknowledged <= set(ids), f"{len(acknowledged - set(ids))} acknowledged records are missing"
    assert set(ids) <= set(sent)
    for facility in FACILITIES:
        versions = [e.aggregate_version for e in received if e.facility_id == facility]
        assert versions == sorted(versions), f"{facility}'s records are out of order"

    cluster.kafka("start-node", str(victim))
    isr = asyncio.run(wait_for_full_isr(settings, [topics.ed, topics.access, topics.board]))
    assert {name: nodes for name, nodes in isr.items() if len(nodes) != BROKERS} == {}
