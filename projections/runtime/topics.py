"""The worker's own topics, created before faust starts.

faust would declare its changelog topics itself, but a consumer that starts
before the new topics reach its metadata sees "0 partitions" and fails every
table write of the first events. So the worker checks the topics it reads
(they must exist, co-partitioned: one partition count) and creates its own
(table changelogs, board snapshot requests, and the dead-letter topic if
`edflow topics create` predates it) up front, then waits until the
broker shows them.
"""

from __future__ import annotations

import asyncio

from aiokafka.admin import NewTopic

from base import kafka_clients
from base.settings import Settings
from base.topics import TOPIC_ALREADY_EXISTS, broker_count, deadletter_plan, describe_topics, planned_replication

TABLES = ("entries", "facilities")
VISIBLE_TIMEOUT = 15.0
REQUESTS_RETENTION_MS = 24 * 3600 * 1000


class WorkerTopicsError(Exception):
    """A topic the worker needs is missing or cannot be co-partitioned."""


def changelog_topic(settings: Settings, table: str) -> str:
    return f"{settings.worker_id}-{table}-changelog"


def _own_topics(settings: Settings, brokers: int | None = None) -> list[NewTopic]:
    """Table changelogs, snapshot requests and the dead-letter topic, replicated
    like the event topics (three replicas on a cluster of three or more
    brokers, see `base.topics`)."""
    n, replicas = settings.topic_partitions, planned_replication(settings, brokers)
    durable = {"min.insync.replicas": str(min(2, replicas))}
    changelogs = [
        NewTopic(changelog_topic(settings, t), n, replicas, topic_configs={**durable, "cleanup.policy": "compact"})
        for t in TABLES
    ]
    requests = NewTopic(
        settings.topics.board_requests,
        n,
        replicas,
        topic_configs={**durable, "cleanup.policy": "delete", "retention.ms": str(REQUESTS_RETENTION_MS)},
    )
    dead = deadletter_plan(settings, replicas)
    deadletter = NewTopic(dead.name, dead.partitions, dead.replication, topic_configs=dead.configs)
    return [*changelogs, requests, deadletter]


async def prepare_worker_topics(settings: Settings) -> None:
    topics = settings.topics
    for state in await describe_topics(settings, [topics.ed, topics.access, topics.board]):
        if not state.exists:
            raise WorkerTopicsError(f"topic {state.name} does not exist; run `edflow topics create` first")
        if state.partitions != settings.topic_partitions:
            raise WorkerTopicsError(
                f"topic {state.name} has {state.partitions} partitions but EDFLOW_TOPIC_PARTITIONS is "
                f"{settings.topic_partitions}; the worker's tables must match the event topics"
            )
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        wanted = _own_topics(settings, await broker_count(admin))
        response = await admin.create_topics(wanted)
        for name, code, message in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise WorkerTopicsError(f"the broker refused topic {name}: {message or f'error code {code}'}")
    finally:
        await admin.close()
    await _until_visible(settings, [t.name for t in wanted])


async def _until_visible(settings: Settings, names: list[str]) -> None:
    deadline = asyncio.get_running_loop().time() + VISIBLE_TIMEOUT
    while True:
        states = await describe_topics(settings, names)
        mismatched = [s for s in states if s.exists and s.partitions != settings.topic_partitions]
        if mismatched:
            s = mismatched[0]
            raise WorkerTopicsError(
                f"topic {s.name} has {s.partitions} partitions but EDFLOW_TOPIC_PARTITIONS is "
                f"{settings.topic_partitions}; a new EDFLOW_WORKER_ID starts fresh tables"
            )
        if all(s.exists for s in states):
            return
        if asyncio.get_running_loop().time() > deadline:
            missing = ", ".join(s.name for s in states if not s.exists)
            raise WorkerTopicsError(f"topics {missing} were created but never became visible")
        await asyncio.sleep(0.2)
