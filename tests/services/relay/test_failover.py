"""Two `edflow relay` processes on one store: one publishes, the other
stands by; SIGKILL the publisher mid-stream and the standby takes over within
seconds, losing nothing and keeping each facility's store order (the only
repeats are a replayed suffix, which consumers drop by event id)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from base.settings import Settings
from events.envelope import decode
from services.hospital import Hospital
from services.relay import tracked_position
from services.relay_lock import relay_lock
from tests.services.relay.kafka_harness import (
    published_count,
    read_records,
    relay_environment,
    start_relay,
    with_topics,
)
from tests.services.relay.test_crash import (
    CHUNKS,
    PATIENT_SURNAME,
    assert_replays_only_suffixes,
    expected_envelopes,
    record_visits,
    wait_until_tracked,
)
from tests.services.relay.test_relay_process import EDFLOW, record_arrivals, wait_until

STANDBY = {"EDFLOW_RELAY_STANDBY_SECONDS": "0.2"}
HOLDING, TOOK_OVER, STANDING_BY = "holding the relay lock", "took over the relay lock", "standing by"
# The longest a standby may take to publish after the holder dies.
TAKEOVER_SECONDS = 5.0


def pause_outside_a_write(relay: subprocess.Popen, settings: Settings) -> None:
    """SIGSTOP the relay at an instant it holds no write lock on a SQLite
    store: paused inside its tracking write, it would hold every writer off
    (SQLite has one writer at a time) and the test's own commands would fail
    with "database is locked", which says nothing about failover."""
    for _ in range(200):
        relay.send_signal(signal.SIGSTOP)
        if settings.event_store != "sqlite":
            return
        probe = sqlite3.connect(settings.sqlite_path, timeout=0.05, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return
        except sqlite3.OperationalError:
            relay.send_signal(signal.SIGCONT)
            time.sleep(0.01)
        finally:
            probe.close()
    raise AssertionError("the relay held the store's write lock at every try")


def said(log: Path, words: str, times: int = 1) -> bool:
    return log.exists() and log.read_text().count(words) >= times


def test_the_lock_admits_one_holder_and_passes_on_when_released(settings):
    first, second = relay_lock(settings), relay_lock(settings)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        first.confirm()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_lock_holder_killed_with_sigkill_frees_the_lock_at_once(settings, tmp_path):
    hold = (
        "import sys, time\n"
        "from base.settings import Settings\n"
        "from services.relay_lock import relay_lock\n"
        "lock = relay_lock(Settings())\n"
        "assert lock.try_acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    env = relay_environment(settings)
    holder = subprocess.Popen([sys.executable, "-c", hold], env=env, stdout=subprocess.PIPE, text=True)
    lock = relay_lock(settings)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not lock.try_acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        killed = time.monotonic()
        while not lock.try_acquire():
            assert time.monotonic() - killed < TAKEOVER_SECONDS, "the lock was not freed when its holder died"
            time.sleep(0.05)
    finally:
        lock.release()
        if holder.poll() is None:
            holder.kill()


def test_relay_once_refuses_while_another_relay_publishes(sqlite_relay_settings, clock, tmp_path):
    settings = with_topics(sqlite_relay_settings)
    record_arrivals(settings, clock, 3)
    log = tmp_path / "relay.log"
    relay = start_relay(settings, log)
    try:
        wait_until(lambda: said(log, HOLDING), 30, "the first relay holding the lock")
        once = subprocess.run(
            [EDFLOW, "relay", "--once"], env=relay_environment(settings), capture_output=True, text=True, timeout=60
        )
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=60) == 0
    finally:
        if relay.poll() is None:
            relay.kill()

    assert once.returncode == 2
    assert "another relay is publishing from this event store" in once.stderr
    assert asyncio.run(published_count(settings)) == 3


def kill_mid_stream(active: subprocess.Popen, app: Hospital, after: int, standby_log: Path) -> tuple[int, float]:
    """SIGKILL the publishing relay as soon as it records a batch past `after`;
    returns the position it had recorded and how long the standby took to take over."""
    deadline = time.monotonic() + 60
    while tracked_position(app) <= after:
        assert time.monotonic() < deadline, f"the relay recorded nothing past {after}"
        time.sleep(0.002)
    active.send_signal(signal.SIGKILL)
    assert active.wait(timeout=10) == -signal.SIGKILL
    killed = time.monotonic()
    wait_until(lambda: said(standby_log, TOOK_OVER), 30, "the standby taking over")
    return tracked_position(app), time.monotonic() - killed


def test_two_relays_one_killed_mid_stream_the_other_takes_over_without_loss_or_reordering(relay_settings, tmp_path):
    settings = with_topics(relay_settings.model_copy(update={"relay_batch": 20}))
    logs = [tmp_path / "relay-a.log", tmp_path / "relay-b.log"]
    app = Hospital(settings)
    relays: list[subprocess.Popen] = []
    kills: list[tuple[int, float]] = []
    try:
        record_visits(app, CHUNKS[0])
        relays.append(start_relay(settings, logs[0], **STANDBY))
        wait_until(lambda: said(logs[0], HOLDING), 30, "relay A holding the lock")
        relays.append(start_relay(settings, logs[1], **STANDBY))
        wait_until(lambda: said(logs[1], STANDING_BY), 30, "relay B standing by")

        # A dies mid-stream; B takes over while new visits are recorded.
        kills.append(kill_mid_stream(relays[0], app, 0, logs[1]))
        record_visits(app, CHUNKS[1])
        relays[0] = start_relay(settings, logs[0], **STANDBY)
        wait_until(lambda: said(logs[0], STANDING_BY), 30, "relay A, restarted, standing by")

        # B dies mid-stream; A takes the lock back. B is paused while the
        # last visits are recorded, so it is surely behind when it dies.
        pause_outside_a_write(relays[1], settings)
        before = tracked_position(app)
        record_visits(app, CHUNKS[2])
        relays[1].send_signal(signal.SIGCONT)
        kills.append(kill_mid_stream(relays[1], app, before, logs[0]))

        expected = expected_envelopes(app)
        wait_until_tracked(app, app.recorder.max_notification_id() or 0, timeout=120)
        relays[0].send_signal(signal.SIGTERM)
        assert relays[0].wait(timeout=60) == 0
    finally:
        for relay in relays:
            if relay.poll() is None:
                relay.kill()
        app.close()

    store_end = max(e.position for e in expected)
    assert all(0 < position < store_end for position, _ in kills), f"not killed mid-stream: {kills}"
    assert all(seconds < TAKEOVER_SECONDS for _, seconds in kills), f"takeover took too long: {kills}"
    records = asyncio.run(read_records(settings, list(settings.topics.event_topics), at_least=len(expected)))
    missing = {e.event_id for e in expected} - {decode(r.value).event_id for r in records}
    assert not missing, f"{len(missing)} of {len(expected)} events never reached Kafka"

    recorded, seen = defaultdict(list), defaultdict(list)
    for envelope in expected:
        recorded[settings.topics.for_fact(envelope.data), envelope.facility_id].append(envelope.position)
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        envelope = decode(record.value)
        seen[record.topic, envelope.facility_id].append(envelope.position)
    assert set(seen) == set(recorded)
    for stream, positions in seen.items():
        assert_replays_only_suffixes(positions, recorded[stream], str(stream))

    texts = [log.read_text() for log in logs]
    assert all("Traceback" not in text and PATIENT_SURNAME not in text for text in texts)
