"""Topic creation on the real broker: configs as planned, described back, idempotent."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from base.settings import Settings
from base.topics import BOARD_RETENTION_MS, DEADLETTER_RETENTION_MS, create_topics, describe_topics, planned_topics
from tests.services.relay.kafka_harness import EDFLOW, relay_environment


def test_created_event_topics_keep_records_forever_and_the_board_keeps_a_week(sqlite_relay_settings):
    settings = sqlite_relay_settings.model_copy(update={"topic_partitions": 4})
    outcomes = asyncio.run(create_topics(settings))
    states = {s.name: s for s in asyncio.run(describe_topics(settings))}

    topics = settings.topics
    assert [(o.name, o.created, o.mismatches) for o in outcomes] == [
        (topics.ed, True, []),
        (topics.access, True, []),
        (topics.board, True, []),
        (topics.deadletter, True, []),
    ]
    for name in (topics.ed, topics.access):
        state = states[name]
        assert (state.exists, state.partitions, state.replication) == (True, 4, 1)
        planned = ("retention.ms", "retention.bytes", "cleanup.policy", "min.insync.replicas")
        assert {k: state.configs[k] for k in planned} == {
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
            "min.insync.replicas": "1",
        }
    board = states[topics.board]
    assert (board.partitions, board.configs["retention.ms"], board.configs["cleanup.policy"]) == (
        4,
        str(BOARD_RETENTION_MS),
        "delete",
    )
    dead = states[topics.deadletter]
    assert (dead.partitions, dead.configs["retention.ms"], dead.configs["cleanup.policy"]) == (
        4,
        str(DEADLETTER_RETENTION_MS),
        "delete",
    )


def test_creating_again_keeps_the_topics_and_reports_a_partition_mismatch(sqlite_relay_settings):
    asyncio.run(create_topics(sqlite_relay_settings))
    again = asyncio.run(create_topics(sqlite_relay_settings))
    wider = asyncio.run(create_topics(sqlite_relay_settings.model_copy(update={"topic_partitions": 6})))

    assert [(o.created, o.mismatches) for o in again] == [(False, [])] * 4
    assert all(not o.created and len(o.mismatches) == 1 for o in wider)
    assert "has 3 partitions, settings ask for 6" in wider[0].mismatches[0]


def test_the_topics_command_creates_describes_and_exits_1_on_a_mismatch(sqlite_relay_settings):
    env = relay_environment(sqlite_relay_settings)
    run = lambda *args, **extra: subprocess.run(  # noqa: E731
        [EDFLOW, "topics", *args], env={**env, **extra}, capture_output=True, text=True, timeout=60
    )
    missing = run("describe", COLUMNS="200")
    created = run("create")
    described = run("describe", COLUMNS="200")
    mismatch = run("create", EDFLOW_TOPIC_PARTITIONS="5")

    topics = sqlite_relay_settings.topics
    assert missing.returncode == 1 and "run `edflow topics create`" in missing.stdout
    assert created.returncode == 0 and f"{topics.ed}: created" in created.stdout
    assert described.returncode == 0 and topics.board in described.stdout
    assert str(BOARD_RETENTION_MS) in described.stdout
    assert mismatch.returncode == 1 and "differs:" in mismatch.stdout


def test_the_topics_command_says_in_one_line_when_the_broker_cannot_be_reached(sqlite_relay_settings):
    env = {**relay_environment(sqlite_relay_settings), "EDFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:9"}
    result = subprocess.run([EDFLOW, "topics", "create"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "edflow topics: cannot reach Kafka at 127.0.0.1:9 (KafkaConnectionError); "
        "start it (bash deploy/kafka.sh start) or set EDFLOW_KAFKA_BOOTSTRAP"
    ]


def test_a_replication_factor_beyond_the_brokers_is_refused_with_the_brokers_reason(sqlite_relay_settings):
    env = {**relay_environment(sqlite_relay_settings), "EDFLOW_TOPIC_REPLICATION": "3"}
    result = subprocess.run([EDFLOW, "topics", "create"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"edflow topics: the broker refused a topic: {sqlite_relay_settings.topics.ed}: ")
    assert "replication factor of 3" in line


@pytest.mark.parametrize(
    ("brokers", "replication", "min_insync"),
    [(None, 1, "1"), (1, 1, "1"), (2, 1, "1"), (3, 3, "2"), (5, 3, "2")],
)
def test_topics_are_replicated_three_times_with_two_in_sync_on_three_brokers_or_more(
    brokers, replication, min_insync, monkeypatch, tmp_path
):
    monkeypatch.delenv("EDFLOW_TOPIC_REPLICATION", raising=False)
    plans = planned_topics(Settings(data_dir=tmp_path), brokers)

    assert [(p.replication, p.configs["min.insync.replicas"]) for p in plans] == [(replication, min_insync)] * 4


@pytest.mark.parametrize(("setting", "replication", "min_insync"), [("1", 1, "1"), ("2", 2, "2"), ("3", 3, "2")])
def test_a_replication_set_in_the_environment_wins_over_the_broker_count(
    setting, replication, min_insync, monkeypatch, tmp_path
):
    monkeypatch.setenv("EDFLOW_TOPIC_REPLICATION", setting)
    plans = planned_topics(Settings(data_dir=tmp_path), brokers=3)

    assert [(p.replication, p.configs["min.insync.replicas"]) for p in plans] == [(replication, min_insync)] * 4
