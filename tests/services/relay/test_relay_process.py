"""`edflow relay` as an operator runs it: read back by an outsider's tool,
stopped gracefully, waiting out a broker that is not there yet, and refusing
to skip an event it cannot read."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid

from eventsourcing.persistence import StoredEvent

from events.catalogue import PatientArrived, Person
from events.envelope import decode
from services.hospital import Hospital
from tests.services.relay.kafka_harness import EDFLOW, published_count, relay_environment, start_relay, with_topics


def record_arrivals(settings, clock, count: int, first: int = 0) -> None:
    app = Hospital(settings)
    try:
        for i in range(first, first + count):
            app.arrive(clock.meta(facility_id=f"fac-{i % 2}"), f"V{i}", Person(family_name="Zorander", age_years=50))
    finally:
        app.close()


def relay_once(settings) -> subprocess.CompletedProcess:
    command = [EDFLOW, "relay", "--once"]
    return subprocess.run(command, env=relay_environment(settings), capture_output=True, text=True, timeout=120)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def test_kcat_reads_the_relayed_topic_and_every_payload_decodes(sqlite_relay_settings, clock):
    settings = with_topics(sqlite_relay_settings)
    record_arrivals(settings, clock, 6)
    assert relay_once(settings).returncode == 0

    kcat = shutil.which("kcat")
    assert kcat, "kcat is not installed (apt-get install -y kcat)"
    out = subprocess.run(
        [kcat, "-C", "-b", settings.kafka_bootstrap, "-t", settings.topics.ed, "-e", "-J", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    messages = [json.loads(line) for line in out.splitlines()]
    envelopes = [decode(m["payload"]) for m in messages]

    facts: list[object] = [e.data for e in envelopes]
    assert sorted(f.visit_number for f in facts if isinstance(f, PatientArrived)) == [f"V{i}" for i in range(6)]
    assert all(m["key"] == e.facility_id for m, e in zip(messages, envelopes, strict=True))
    assert all(m["headers"][:2] == ["event_type", "PatientArrived"] for m in messages)


def test_sigterm_stops_after_recording_progress_so_a_restart_sends_nothing_again(
    sqlite_relay_settings, clock, tmp_path
):
    settings = with_topics(sqlite_relay_settings)
    record_arrivals(settings, clock, 40)
    log = tmp_path / "relay.log"
    relay = start_relay(settings, log)
    try:
        wait_until(lambda: asyncio.run(published_count(settings)) == 40, 60, "40 records published")
        relay.send_signal(signal.SIGTERM)
        code = relay.wait(timeout=60)
    finally:
        if relay.poll() is None:
            relay.kill()
    again = relay_once(settings)

    assert code == 0
    assert "SIGTERM received" in log.read_text() and "relayed 40 events" in log.read_text()
    assert again.returncode == 0 and "relayed 0 events" in again.stdout
    assert asyncio.run(published_count(settings)) == 40


def forward(listener: socket.socket, target: tuple[str, int], stop: threading.Event) -> None:
    """A plain TCP forwarder standing in for a broker address that comes up late."""

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with src, dst:
            while chunk := src.recv(65536):
                dst.sendall(chunk)

    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return  # the test closed the listener
        upstream = socket.create_connection(target)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


def test_an_unreachable_broker_is_reported_in_one_line_and_retried_until_it_answers(
    sqlite_relay_settings, clock, tmp_path
):
    settings = with_topics(sqlite_relay_settings)
    record_arrivals(settings, clock, 10)
    late = socket.socket()
    late.bind(("127.0.0.1", 0))  # reserved, not yet listening: connections are refused
    address = f"127.0.0.1:{late.getsockname()[1]}"
    log = tmp_path / "relay.log"
    relay = start_relay(settings, log, EDFLOW_KAFKA_BOOTSTRAP=address)
    stop, forwarder = threading.Event(), None
    try:
        wait_until(lambda: log.read_text().count("is unavailable") >= 2, 30, "two reported connection failures")
        late.listen()
        host, port = settings.kafka_bootstrap.split(",")[0].rsplit(":", 1)
        forwarder = threading.Thread(target=forward, args=(late, (host, int(port)), stop), daemon=True)
        forwarder.start()
        published = lambda: asyncio.run(published_count(settings)) == 10  # noqa: E731
        wait_until(published, 60, "the 10 records published after the broker answered")
        relay.send_signal(signal.SIGTERM)
        code = relay.wait(timeout=60)
    finally:
        stop.set()
        if relay.poll() is None:
            relay.kill()
        if forwarder is not None:
            forwarder.join(timeout=5)
        late.close()

    text = log.read_text()
    assert code == 0
    assert f"Kafka at {address} is unavailable" in text and "retrying in" in text
    assert f"connected to Kafka at {address}" in text
    assert "Traceback" not in text and "Zorander" not in text


def test_missing_topics_are_named_and_waited_for_until_they_are_created(sqlite_relay_settings, clock, tmp_path):
    settings = sqlite_relay_settings
    record_arrivals(settings, clock, 5)
    log = tmp_path / "relay.log"
    relay = start_relay(settings, log)
    try:
        wait_until(lambda: "do not exist" in log.read_text(), 30, "the missing topics reported")
        with_topics(settings)
        wait_until(lambda: asyncio.run(published_count(settings)) == 5, 60, "5 records published once the topics exist")
        relay.send_signal(signal.SIGTERM)
        code = relay.wait(timeout=60)
    finally:
        if relay.poll() is None:
            relay.kill()

    assert code == 0
    missing = f"{settings.topics.access}, {settings.topics.ed}"
    assert f"topics {missing} do not exist: create them with `edflow topics create`" in log.read_text()


def test_an_event_that_cannot_be_read_stops_the_relay_at_its_position_instead_of_skipping(sqlite_relay_settings, clock):
    settings = with_topics(sqlite_relay_settings)
    record_arrivals(settings, clock, 2)
    app = Hospital(settings)
    try:
        # As if a newer edflow had recorded an event type this version does not know.
        unknown = StoredEvent(
            originator_id=uuid.uuid4(), originator_version=1, topic="edflow:Ambulance.Diverted", state=b"{}"
        )
        app.recorder.insert_events([unknown])
    finally:
        app.close()
    record_arrivals(settings, clock, 1, first=2)

    result = relay_once(settings)

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("edflow relay: stopped without skipping: store position 3 cannot be read")
    )
    assert "Traceback" not in result.stderr
    assert asyncio.run(published_count(settings)) == 2
