"""Replay rebuilds what the live fold held: from the store, at an instant, from Kafka."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from base.store_log import to_envelope
from events.envelope import encode
from projections.fold import fold_into
from projections.replay import Replay, ReplayError, store_envelopes
from projections.runtime.kafka_source import kafka_envelopes
from services.hospital import Hospital
from tests.projections.conftest import record_morning


def all_envelopes(app):
    """The store's log read in one go, independently of replay's paging."""
    notifications = app.recorder.select_notifications(1, 100_000)
    envelopes = [to_envelope(n, app.mapper.to_domain_event(n)) for n in notifications]
    return [e for e in envelopes if e is not None]


def recorded_morning(settings, clock) -> list:
    """Record the morning in a store of its own; its envelopes, in store order."""
    app = Hospital(settings)
    try:
        record_morning(app, clock)
        return all_envelopes(app)
    finally:
        app.close()


def replayed(envelopes, **options):
    replay = Replay(**options)
    for envelope in envelopes:
        replay.feed(envelope)
    return replay


def test_replay_from_the_store_equals_folding_the_same_envelopes(hospital, clock):
    record_morning(hospital, clock)
    envelopes = all_envelopes(hospital)
    replay = replayed(store_envelopes(hospital))
    assert replay.read == len(envelopes) > 30
    facility, entries = replay.entries_of(None)
    assert facility == "demo"
    assert dict(entries) == fold_into({}, envelopes)


def test_replay_at_an_instant_folds_only_the_events_recorded_by_then(sqlite_settings, clock):
    envelopes = recorded_morning(sqlite_settings, clock)
    cut = envelopes[len(envelopes) // 2].recorded_at
    replay = replayed(envelopes, at=cut)
    expected = fold_into({}, [e for e in envelopes if e.recorded_at <= cut])
    assert 0 < len([e for e in envelopes if e.recorded_at <= cut]) < len(envelopes)
    assert replay.table == expected


def test_replay_by_occurred_time_folds_the_events_that_had_happened(sqlite_settings, clock):
    envelopes = recorded_morning(sqlite_settings, clock)
    cut = envelopes[10].occurred_at
    replay = replayed(envelopes, at=cut, by="occurred")
    assert replay.table == fold_into({}, [e for e in envelopes if e.occurred_at <= cut])
    census = replay.table["demo|facility"].census
    assert census == 6  # six arrivals happened by then, nothing had left yet


def test_several_facilities_need_a_choice_and_an_unknown_one_is_named(hospital, clock):
    record_morning(hospital, clock, facility_id="north")
    hospital.register_bed(clock.meta(facility_id="south"), "S1", "acute")
    replay = replayed(store_envelopes(hospital))
    with pytest.raises(ReplayError, match="several facilities .*north, south.*--facility"):
        replay.entries_of(None)
    with pytest.raises(ReplayError, match="no events of facility 'west'"):
        replay.entries_of("west")
    facility, entries = replay.entries_of("south")
    assert all(key.startswith("south|") for key, _ in entries)


async def _publish(settings, envelopes, repeat_every: int) -> None:
    from base import kafka_clients

    producer = kafka_clients.producer(settings)
    await producer.start()
    try:
        for n, envelope in enumerate(envelopes):
            topic = settings.topics.for_fact(envelope.data)
            copies = 2 if n % repeat_every == 0 else 1  # a relay that crashed repeats a batch
            for _ in range(copies):
                await producer.send_and_wait(topic, encode(envelope), key=envelope.facility_id.encode())
    finally:
        await producer.stop()


def test_replay_from_kafka_equals_replay_from_the_store(kafka_settings, clock):
    app = Hospital(kafka_settings)
    try:
        record_morning(app, clock)
        envelopes = all_envelopes(app)
        from_store = replayed(store_envelopes(app))
    finally:
        app.close()
    asyncio.run(_publish(kafka_settings, envelopes, repeat_every=5))
    from_kafka = asyncio.run(kafka_envelopes(kafka_settings, kafka_settings.topics.event_topics))
    assert [e.event_id for e in from_kafka] == [e.event_id for e in envelopes]
    assert replayed(from_kafka).table == from_store.table


def test_replay_command_prints_the_board_as_json(sqlite_settings, clock, monkeypatch, capsys):
    from deploy.cli import main

    recorded_morning(sqlite_settings, clock)
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("EDFLOW_EVENT_STORE", "sqlite")
    assert main(["replay", "--json", "--by", "occurred", "--at", clock.now.isoformat()]) == 0
    view = json.loads(capsys.readouterr().out)
    # V2 is back after its discharge was cancelled; V5 and V6 wait; V1 went up, V3 left, V4 never was.
    # Untriaged V5 first, then ESI 3 (V2), then ESI 4 (V6).
    assert [row["visit_number"] for row in view["waiting"]] == ["V5", "V2", "V6"]
    assert view["capacity"]["census"] == 3
    assert view["capacity"]["beds_blocked"] == 1
    assert view["metrics"]["today"]["lwbs"] == 1
    assert view["schedule"]["orthopedics|2026-03-03"]["checked_in"] == 1


@pytest.mark.parametrize(
    "argv, env, message",
    [
        (["replay", "--facility", "west"], {}, "no events of facility 'west'"),
        (
            ["replay", "--source", "kafka"],
            {"EDFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:1"},
            "cannot reach Kafka at 127.0.0.1:1",
        ),
    ],
)
def test_replay_command_explains_failures_in_one_line(sqlite_settings, clock, monkeypatch, capsys, argv, env, message):
    from deploy.cli import main

    recorded_morning(sqlite_settings, clock)
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(sqlite_settings.data_dir))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("edflow replay: ") and message in err[0]


@pytest.mark.parametrize(
    "at, message",
    [("2026-03-02T14:00:00", "has no time zone offset"), ("yesterday", "is not an ISO 8601 time")],
)
def test_replay_command_refuses_a_bad_instant_in_one_line(capsys, at, message):
    from deploy.cli import main

    assert main(["replay", "--at", at]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("edflow replay: --at") and message in err[0]


def test_replay_command_reads_the_kafka_topics(kafka_settings, clock, monkeypatch, capsys):
    from deploy.cli import main

    envelopes = recorded_morning(kafka_settings, clock)
    asyncio.run(_publish(kafka_settings, envelopes, repeat_every=3))
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(kafka_settings.data_dir))
    monkeypatch.setenv("EDFLOW_KAFKA_BOOTSTRAP", kafka_settings.kafka_bootstrap)
    monkeypatch.setenv("EDFLOW_TOPIC_PREFIX", kafka_settings.topic_prefix)
    # One instant for both, after every event was recorded: waits are measured to it.
    at = (max(e.recorded_at for e in envelopes) + timedelta(minutes=1)).isoformat()
    assert main(["replay", "--source", "kafka", "--json", "--at", at]) == 0
    from_kafka = json.loads(capsys.readouterr().out)
    assert main(["replay", "--source", "store", "--json", "--at", at]) == 0
    from_store = json.loads(capsys.readouterr().out)
    assert from_kafka["events_read"] == from_store["events_read"] == len(envelopes)
    shown = ("waiting", "beds", "capacity", "metrics", "schedule", "positions")
    assert {k: from_kafka[k] for k in shown} == {k: from_store[k] for k in shown}
