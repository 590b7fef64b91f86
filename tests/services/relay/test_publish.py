"""Recorded events reach Kafka as full envelopes (patient identity withheld,
see test_identity_withheld.py), keyed by facility, on both stores."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime

import httpx

from base.auth import mint_token
from events.catalogue import PatientArrived, PatientTriaged, Person
from events.envelope import Actor, decode
from services.api.app import create_app
from services.hospital import Hospital
from services.recording import Meta
from services.relay import RELAY_NAME, RelayProgress, run_relay, tracked_position
from tests.services.relay.kafka_harness import read_records, serving, start_relay, with_topics

ARRIVED_AT = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)


def relay_once(app: Hospital, settings) -> RelayProgress:
    return asyncio.run(run_relay(app, settings, asyncio.Event(), once=True))


def test_a_recorded_arrival_ends_on_the_ed_topic_as_its_full_envelope(relay_settings):
    settings = with_topics(relay_settings)
    app = Hospital(settings)
    try:
        meta = Meta(
            facility_id="fac-north",
            occurred_at=ARRIVED_AT,
            actor=Actor(id="nurse-7", role="intake"),
            correlation_id="corr-1",
        )
        outcome = app.arrive(meta, "V100", Person(age_years=71, sex="F"), "ambulance", "chest pain")
        relay_once(app, settings)
    finally:
        app.close()

    [record] = asyncio.run(read_records(settings, [settings.topics.ed], at_least=1))
    envelope = decode(record.value)
    [described] = outcome.events
    assert record.key == b"fac-north"
    assert str(envelope.event_id) == described["event_id"]
    assert str(envelope.aggregate_id) == outcome.id == described["aggregate_id"]
    # Version 2: published with the patient's identity withheld.
    assert (envelope.type, envelope.schema_version, envelope.aggregate_type) == ("PatientArrived", 2, "Encounter")
    assert (envelope.facility_id, envelope.aggregate_version, envelope.position) == ("fac-north", 1, 1)
    assert envelope.occurred_at == ARRIVED_AT
    assert envelope.actor == Actor(id="nurse-7", role="intake")
    assert envelope.correlation_id == "corr-1"
    assert envelope.data == PatientArrived(
        visit_number="V100",
        patient=Person(age_years=71, sex="F"),
        arrival_mode="ambulance",
        chief_complaint="chest pain",
    )
    assert dict(record.headers) == {
        "event_type": b"PatientArrived",
        "event_id": described["event_id"].encode(),
        "schema_version": b"2",
    }


def test_appointments_go_to_the_access_topic_and_encounters_to_the_ed_topic(relay_settings, clock):
    settings = with_topics(relay_settings)
    app = Hospital(settings)
    try:
        start = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
        app.book(
            clock.meta(role="scheduler"),
            Person(mrn="M1"),
            "dr-lee",
            "cardiology",
            "outpatient-visit",
            start,
            start.replace(hour=15),
            appointment_id="A1",
        )
        visit = app.arrive(clock.meta(), "V1", Person(age_years=30))
        app.triage(clock.meta(), visit.id, esi=3)
        relay_once(app, settings)
    finally:
        app.close()

    access = asyncio.run(read_records(settings, [settings.topics.access], at_least=2))
    ed = asyncio.run(read_records(settings, [settings.topics.ed], at_least=2))
    assert {decode(r.value).type for r in access} == {"AppointmentBooked", "ProviderTimeReserved"}
    kinds: list[type] = [type(decode(r.value).data) for r in ed]
    assert kinds == [PatientArrived, PatientTriaged]


def test_internal_records_are_passed_over_and_the_position_moves_past_them(relay_settings, clock):
    settings = with_topics(relay_settings)
    app = Hospital(settings)
    try:
        app.arrive(clock.meta(), "V1", Person(age_years=30), idempotency_key="k-1", request={"visit": "V1"})
        progress = relay_once(app, settings)
        position = tracked_position(app)
        store_end = app.recorder.max_notification_id()
    finally:
        app.close()

    records = asyncio.run(read_records(settings, list(settings.topics.event_topics), at_least=1))
    assert [decode(r.value).type for r in records] == ["PatientArrived"]
    assert (progress.published, progress.internal) == (1, 1)
    assert position == store_end == 2


def test_a_second_run_publishes_only_what_was_recorded_since(relay_settings, clock):
    settings = with_topics(relay_settings)
    app = Hospital(settings)
    try:
        visit = app.arrive(clock.meta(), "V1", Person(age_years=30))
        first = relay_once(app, settings)
        app.triage(clock.meta(), visit.id, esi=2)
        second = relay_once(app, settings)
        third = relay_once(app, settings)
        tracked = app.factory.tracking_recorder().max_tracking_id(RELAY_NAME)
    finally:
        app.close()

    records = asyncio.run(read_records(settings, [settings.topics.ed], at_least=2))
    assert [decode(r.value).position for r in records] == [1, 2]
    assert (first.published, second.published, third.published) == (1, 1, 0)
    assert tracked == 2


def test_an_arrival_posted_over_http_reaches_kafka_through_the_running_relay(relay_settings, tmp_path):
    settings = with_topics(relay_settings.model_copy(update={"jwt_secret": "relay-test-secret-0123456789abcdef0123"}))
    token = mint_token(settings, "nurse-12", "intake", ["fac-east"])
    log = tmp_path / "relay.log"
    relay = start_relay(settings, log)
    try:
        with serving(create_app(settings)) as base:
            response = httpx.post(
                f"{base}/api/v1/facilities/fac-east/encounters",
                json={
                    "visit_number": "V-900",
                    "patient": {"age_years": 64, "sex": "M"},
                    "chief_complaint": "dyspnoea",
                    "correlation_id": "http-1",
                },
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        assert response.status_code == 201, response.text
        [record] = asyncio.run(read_records(settings, [settings.topics.ed], at_least=1))
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=60) == 0
    finally:
        if relay.poll() is None:
            relay.kill()

    envelope = decode(record.value)
    assert record.key == b"fac-east"
    assert str(envelope.aggregate_id) == response.json()["id"]
    assert envelope.data == PatientArrived(
        visit_number="V-900", patient=Person(age_years=64, sex="M"), chief_complaint="dyspnoea"
    )
    assert (envelope.actor, envelope.correlation_id) == (Actor(id="nurse-12", role="intake"), "http-1")
