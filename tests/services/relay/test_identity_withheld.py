"""Patient identity stays in the event store: what reaches Kafka carries the
initials, age and sex the board needs, never names, MRN, birth date, contact
details or insurance member ids. The board built from the topics still shows
the initials and the age."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from base.auth import mint_token
from events.envelope import decode
from projections.entries import AppointmentEntry
from projections.profile import DEFAULT_PROFILE
from projections.replay import Replay, board_view
from services.api.app import create_app
from services.hospital import Hospital
from services.relay import run_relay
from tests.services.relay.kafka_harness import read_records, serving, with_topics

FACILITY = "fac-west"
ARRIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
IDENTITY = {
    "mrn": "MRN-7731904",
    "family_name": "Quigglesworth",
    "given_name": "Theodora",
    "birth_date": "1957-06-14",
}
PHONE = "+44 20 7946 0958"
EMAIL = "theodora.quigglesworth@example.org"
MEMBER_ID = "MEMB-55120987"
SECRETS = [*IDENTITY.values(), "19570614", "Quiggle", "Theodor", PHONE, EMAIL, MEMBER_ID]


def post(base: str, path: str, token: str, body: dict) -> dict:
    response = httpx.post(
        f"{base}/api/v1/facilities/{FACILITY}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_identity_never_reaches_the_topics_and_the_board_keeps_initials_and_age(relay_settings):
    settings = with_topics(relay_settings.model_copy(update={"jwt_secret": "identity-test-secret-0123456789abcdef"}))
    intake = mint_token(settings, "nurse-3", "intake", [FACILITY])
    scheduler = mint_token(settings, "sched-1", "scheduler", [FACILITY])
    start = ARRIVED + timedelta(days=7)
    with serving(create_app(settings)) as base:
        post(
            base,
            "/encounters",
            intake,
            {
                "visit_number": "V-4711",
                "patient": {**IDENTITY, "sex": "F"},
                "chief_complaint": "chest pain",
                "occurred_at": ARRIVED.isoformat(),
            },
        )
        appointment = post(
            base,
            "/appointments",
            scheduler,
            {
                "patient": {**IDENTITY, "sex": "F"},
                "provider_id": "dr-okafor",
                "department": "cardiology",
                "appointment_type": "ed-follow-up",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=20)).isoformat(),
                "contact": {"email": EMAIL, "phone": PHONE},
            },
        )
        post(
            base,
            f"/appointments/{appointment['id']}/insurance-verification",
            scheduler,
            {"coverage": {"payer": "Acme Health", "member_id": MEMBER_ID, "effective_from": "2026-01-01"}},
        )
    app = Hospital(settings)
    try:
        progress = asyncio.run(run_relay(app, settings, asyncio.Event(), once=True))
    finally:
        app.close()
    assert progress.published >= 4

    records = asyncio.run(read_records(settings, list(settings.topics.event_topics), at_least=progress.published))
    raw = b"\n".join(record.value for record in records)
    assert b'"type":"PatientArrived"' in raw and b'"type":"InsuranceVerificationRequested"' in raw
    leaked = [secret for secret in SECRETS if secret.lower().encode() in raw.lower()]
    assert not leaked, f"identity on the topics: {leaked}"

    replay = Replay()
    envelopes = sorted((decode(record.value) for record in records), key=lambda e: e.position)
    for envelope in envelopes:
        replay.feed(envelope)
    _, entries = replay.entries_of(FACILITY)
    board = board_view(FACILITY, entries, ARRIVED + timedelta(minutes=5), DEFAULT_PROFILE)
    [waiting] = board["waiting"]
    age = ARRIVED.year - 1957 - ((ARRIVED.month, ARRIVED.day) < (6, 14))
    assert (waiting["initials"], waiting["age_years"]) == ("TQ", age)
    [booked] = [entry for _, entry in entries if isinstance(entry, AppointmentEntry)]
    assert (booked.given_initial, booked.family_initial) == ("T", "Q")
