"""The Kafka topics edflow publishes to, created idempotently and described back.

Event topics keep every record forever: auditors replay them from the start.
The board topic carries snapshots and deltas that are rebuilt from events, so
it keeps a week. The dead-letter topic (events a projection could not fold,
no patient data) keeps a year: long enough to find and fix each one.

Replication follows the cluster unless EDFLOW_TOPIC_REPLICATION says
otherwise: on three or more brokers every topic has three replicas and
min.insync.replicas=2, so an acknowledged (acks=all) event is on two brokers
and writes go on with any one broker down; a single development broker gets
one replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from base import kafka_clients
from base.settings import Settings

BOARD_RETENTION_MS = 7 * 24 * 3600 * 1000
DEADLETTER_RETENTION_MS = 365 * 24 * 3600 * 1000
TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC = 3
CREATED_VISIBLE_TIMEOUT = 15.0
# A cluster of this many brokers or more gets replicated topics by default.
CLUSTER_REPLICATION = 3
CLUSTER_MIN_INSYNC = 2


class TopicsError(Exception):
    """The broker refused a topic; the message says which and why."""


@dataclass(frozen=True)
class TopicPlan:
    name: str
    partitions: int
    replication: int
    configs: dict[str, str]


@dataclass(frozen=True)
class TopicState:
    name: str
    exists: bool
    partitions: int = 0
    replication: int = 0
    configs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicOutcome:
    name: str
    created: bool
    mismatches: list[str]


def planned_replication(settings: Settings, brokers: int | None = None) -> int:
    """EDFLOW_TOPIC_REPLICATION when it is set; otherwise three replicas on a
    cluster of three or more brokers, and the settings' default (one) on
    fewer or when the broker count is not known."""
    if "topic_replication" in settings.model_fields_set or brokers is None or brokers < CLUSTER_REPLICATION:
        return settings.topic_replication
    return CLUSTER_REPLICATION


def planned_topics(settings: Settings, brokers: int | None = None) -> list[TopicPlan]:
    """The topics for these settings on a cluster of `brokers` brokers
    (None: unknown, as when only the names are wanted)."""
    replication = planned_replication(settings, brokers)
    min_insync = min(CLUSTER_MIN_INSYNC, replication)
    durable = {"cleanup.policy": "delete", "min.insync.replicas": str(min_insync)}
    forever = {**durable, "retention.ms": "-1", "retention.bytes": "-1"}
    board = {**durable, "retention.ms": str(BOARD_RETENTION_MS)}
    topics = settings.topics
    return [
        TopicPlan(topics.ed, settings.topic_partitions, replication, forever),
        TopicPlan(topics.access, settings.topic_partitions, replication, forever),
        TopicPlan(topics.board, settings.topic_partitions, replication, board),
        deadletter_plan(settings, replication),
    ]


def deadletter_plan(settings: Settings, replication: int) -> TopicPlan:
    """The dead-letter topic; the worker creates it too if it is missing."""
    configs = {
        "cleanup.policy": "delete",
        "min.insync.replicas": str(min(CLUSTER_MIN_INSYNC, replication)),
        "retention.ms": str(DEADLETTER_RETENTION_MS),
    }
    return TopicPlan(settings.topics.deadletter, settings.topic_partitions, replication, configs)


async def create_topics(settings: Settings) -> list[TopicOutcome]:
    """Create the missing topics, replicated to fit the cluster; report how
    existing ones differ from the plan."""
    async with _admin(settings) as admin:
        plans = planned_topics(settings, await broker_count(admin))
        response = await admin.create_topics(
            [NewTopic(p.name, p.partitions, p.replication, topic_configs=p.configs) for p in plans]
        )
        created = set()
        for name, code, message in response.topic_errors:
            if code == 0:
                created.add(name)
            elif code != TOPIC_ALREADY_EXISTS:
                raise TopicsError(f"{name}: {message or f'error code {code}'}")
        states = await _visible(admin, [p.name for p in plans])
    return [TopicOutcome(p.name, p.name in created, _mismatches(p, states[p.name])) for p in plans]


async def describe_topics(settings: Settings, names: list[str] | None = None) -> list[TopicState]:
    names = names or [p.name for p in planned_topics(settings)]
    async with _admin(settings) as admin:
        states = await _describe(admin, names)
    return [states[name] for name in names]


async def broker_count(admin: AIOKafkaAdminClient) -> int:
    """How many brokers the cluster has: the live ones its metadata lists, and
    any that is down but holds a replica of some topic (so a broker outage
    does not make the plan ask for fewer replicas)."""
    cluster = await admin.describe_cluster()
    brokers = {broker["node_id"] for broker in cluster["brokers"]}
    for topic in await admin.describe_topics():
        for partition in topic["partitions"]:
            brokers.update(partition["replicas"])
    return len(brokers)


def _mismatches(plan: TopicPlan, state: TopicState) -> list[str]:
    found = []
    if state.partitions != plan.partitions:
        found.append(
            f"{plan.name} has {state.partitions} partitions, settings ask for {plan.partitions} "
            "(EDFLOW_TOPIC_PARTITIONS); a facility's records stay in order only while the count is unchanged"
        )
    if state.replication != plan.replication:
        found.append(
            f"{plan.name} has {state.replication} replicas, planned {plan.replication} "
            "(EDFLOW_TOPIC_REPLICATION, or three on a cluster of three or more brokers)"
        )
    for key, wanted in plan.configs.items():
        if state.configs.get(key) != wanted:
            found.append(f"{plan.name} has {key}={state.configs.get(key)}, planned {wanted}")
    return found


async def _visible(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, TopicState]:
    # A topic just created reaches the metadata of every broker a moment later;
    # on a cluster its configs may be asked of a broker that does not know it yet.
    deadline = asyncio.get_running_loop().time() + CREATED_VISIBLE_TIMEOUT
    while True:
        states = await _describe(admin, names)
        if all(s.exists and s.configs for s in states.values()) or asyncio.get_running_loop().time() > deadline:
            return states
        await asyncio.sleep(0.2)


async def _describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, TopicState]:
    metadata = {t["topic"]: t for t in await admin.describe_topics(names)}
    existing = [n for n in names if metadata.get(n, {}).get("error_code", UNKNOWN_TOPIC) == 0]
    configs: dict[str, dict[str, str]] = {}
    if existing:
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in existing]
        for response in await admin.describe_configs(resources):
            for resource in response.to_object()["resources"]:
                configs[resource["resource_name"]] = {
                    e["config_names"]: e["config_value"] for e in resource["config_entries"]
                }
    states = {}
    for name in names:
        if name not in existing:
            states[name] = TopicState(name, exists=False)
            continue
        partitions = metadata[name]["partitions"]
        replication = min((len(p["replicas"]) for p in partitions), default=0)
        states[name] = TopicState(name, True, len(partitions), replication, configs.get(name, {}))
    return states


@asynccontextmanager
async def _admin(settings: Settings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = kafka_clients.admin(settings)
    try:
        await client.start()
        yield client
    finally:
        await client.close()
