"""The relay as a real process, killed with SIGKILL mid-stream and restarted:
no event is lost, each facility's stream keeps store order, and the only
duplicates are a replayed suffix (consumers drop them by event id)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from base.store_log import to_envelope
from events.catalogue import PatientArrived, Person
from events.envelope import Actor, decode
from services.ed.application import encounter_id_for
from services.ed.domainmodel import Encounter
from services.hospital import Hospital
from services.recording import Meta
from services.relay import tracked_position
from tests.services.relay.kafka_harness import published_count, read_records, start_relay, with_topics

FACILITIES = ("fac-a", "fac-b", "fac-c")
# A surname that must never appear in the relay's logs.
PATIENT_SURNAME = "Zorander"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# Three chunks of visits, two events each, plus a booking (two events and a
# receipt) every 100 visits: about 5,000 events across three facilities.
CHUNKS = (range(0, 1000), range(1000, 1800), range(1800, 2500))


def record_visits(app: Hospital, visits: range) -> None:
    """Arrive and triage each visit; fifty visits per transaction, like a busy feed."""
    pending = []
    for i in visits:
        facility = FACILITIES[i % len(FACILITIES)]
        at = T0 + timedelta(seconds=i)
        meta = Meta(facility_id=facility, occurred_at=at, actor=Actor(id="feed-adt", role="system"))
        arrived = PatientArrived(visit_number=f"V{i}", patient=Person(family_name=PATIENT_SURNAME, age_years=40))
        encounter = Encounter.arrive(encounter_id_for(facility, f"V{i}"), arrived, meta)
        encounter.triage(1 + i % 5, Meta(facility_id=facility, occurred_at=at + timedelta(minutes=3), actor=meta.actor))
        pending.append(encounter)
        if len(pending) == 50:
            app.save(*pending)
            pending = []
        if i % 100 == 0:
            start = T0 + timedelta(days=7, minutes=30 * (i // 100))
            end = start + timedelta(minutes=30)
            app.book(
                meta,
                Person(mrn=f"M{i}"),
                "dr-lee",
                "cardiology",
                "ed-follow-up",
                start,
                end,
                appointment_id=f"A{i}",
                idempotency_key=f"book-{i}",
                request={"i": i},
            )
    app.save(*pending)


def wait_for_published(settings, more_than: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := asyncio.run(published_count(settings))) <= more_than:
        assert time.monotonic() < deadline, f"the relay published nothing beyond {more_than} records in {timeout} s"
        time.sleep(0.05)
    return count


def wait_until_tracked(app: Hospital, position: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while tracked_position(app) < position:
        assert time.monotonic() < deadline, f"the relay did not reach position {position} in {timeout} s"
        time.sleep(0.05)


def expected_envelopes(app: Hospital) -> list:
    envelopes, start = [], 0
    while notifications := app.recorder.select_notifications(start, 1000, inclusive_of_start=False):
        for n in notifications:
            if (envelope := to_envelope(n, app.mapper.to_domain_event(n))) is not None:
                envelopes.append(envelope)
        start = notifications[-1].id
    return envelopes


def assert_replays_only_suffixes(seen: list[int], recorded: list[int], stream: str) -> None:
    """Every run of the stream is a contiguous slice of the recorded positions
    that starts no later than the first position not yet published."""
    index = {position: i for i, position in enumerate(recorded)}
    published_up_to = -1
    previous = None
    for position in seen:
        i = index[position]
        if previous is None or i != previous + 1:
            first_unpublished = recorded[published_up_to + 1]
            assert i <= published_up_to + 1, f"{stream}: position {position} published before {first_unpublished}"
        published_up_to = max(published_up_to, i)
        previous = i
    assert published_up_to == len(recorded) - 1, f"{stream}: published {published_up_to + 1} of {len(recorded)}"


def test_a_relay_killed_mid_stream_and_restarted_loses_nothing_and_keeps_order(relay_settings, tmp_path):
    settings = with_topics(relay_settings.model_copy(update={"relay_batch": 100}))
    log = tmp_path / "relay.log"
    app = Hospital(settings)
    kills, relay = [], None
    try:
        record_visits(app, CHUNKS[0])
        relay = start_relay(settings, log)
        for chunk in CHUNKS[1:]:
            before = asyncio.run(published_count(settings))
            at_kill = wait_for_published(settings, more_than=before)
            relay.send_signal(signal.SIGKILL)
            kills.append((at_kill, relay.wait(timeout=10)))
            relay = start_relay(settings, log)
            record_visits(app, chunk)  # recorded while the restarted relay runs
        expected = expected_envelopes(app)
        # Done when the relay has recorded the store's last position: it records only acknowledged batches.
        store_end = app.recorder.max_notification_id() or 0
        wait_until_tracked(app, store_end, timeout=120)
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=60) == 0
    finally:
        if relay is not None and relay.poll() is None:
            relay.kill()
        app.close()

    assert len(expected) > 4900
    assert all(0 < count < len(expected) and code == -signal.SIGKILL for count, code in kills)
    records = asyncio.run(read_records(settings, list(settings.topics.event_topics), at_least=len(expected)))
    missing = {e.event_id for e in expected} - {decode(r.value).event_id for r in records}
    assert not missing, f"{len(missing)} of {len(expected)} events never reached Kafka"

    recorded, seen = defaultdict(list), defaultdict(list)
    for envelope in expected:
        recorded[settings.topics.for_fact(envelope.data), envelope.facility_id].append(envelope.position)
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        envelope = decode(record.value)
        assert record.key == envelope.facility_id.encode()
        seen[record.topic, envelope.facility_id].append(envelope.position)
    assert set(seen) == set(recorded) and len(recorded) == 6
    for stream, positions in seen.items():
        assert_replays_only_suffixes(positions, recorded[stream], str(stream))

    relay_log = log.read_text()
    assert "Traceback" not in relay_log
    assert PATIENT_SURNAME not in relay_log and "V1000" not in relay_log
