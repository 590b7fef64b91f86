"""The published contract: committed JSON Schemas match the catalogue, and
every event the write model records validates against its schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import jsonschema
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from base.store_log import to_envelope
from events import FACTS_BY_TYPE, decode, encode
from events.board import decode_board, encode_board
from events.catalogue import ALL_FACTS, BedNeeds, Coverage, Person
from events.schema import BOARD_SCHEMA, SCHEMA_DIR, render_all, render_board
from tests.projections.board_record import recorded_board


def test_committed_schemas_match_the_catalogue():
    rendered = render_all()
    committed = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert committed.keys() == rendered.keys(), "run `python -m events.schema` and commit events/schemas/"
    drifted = [name for name in rendered if committed[name] != rendered[name]]
    assert not drifted, f"schemas out of date: {drifted}; run `python -m events.schema`"


def test_every_catalogue_type_has_a_unique_tag():
    assert len(FACTS_BY_TYPE) == len(ALL_FACTS)


def schema_for(event_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{event_type}.json").read_text())


def test_recorded_events_validate_against_their_schemas(sqlite_settings, clock):
    from services.hospital import Hospital

    app = Hospital(sqlite_settings)
    app.register_bed(clock.meta(), "A1", "Acute")
    patient = Person(mrn="123", family_name="Doe", given_name="Jo", birth_date=date(1980, 1, 2), sex="F")
    enc = app.arrive(clock.meta(), "V1", patient, arrival_mode="ambulance", chief_complaint="fall").id
    app.triage(clock.meta(), enc, 3)
    app.assign_bed(clock.meta(), enc, "A1")
    app.decide_admit(clock.meta(), enc, "icu", "MICU")
    app.change_bed_request(clock.meta(), enc, "icu", "ICU", BedNeeds(isolation="airborne"), "unit named")
    app.assign_inpatient_bed(clock.meta(), enc, "ICU", "ICU-01")
    app.inpatient_bed_ready(clock.meta(), enc)
    app.discharge(clock.meta(), enc, "admitted", "ICU-01")
    start = clock.now + timedelta(days=1)
    appt = app.book(
        clock.meta(), patient, "dr-1", "cardiology", "ed-follow-up", start, start + timedelta(minutes=20)
    ).id
    app.request_verification(
        clock.meta(), appt, Coverage(payer="Acme", member_id="M1", effective_from=date(2026, 1, 1))
    )
    app.record_verification(clock.meta(), appt, True, "ref-9")
    seen = set()
    for notification in app.recorder.select_notifications(start=1, limit=1000):
        envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
        if envelope is None:
            continue
        payload = json.loads(encode(envelope))
        jsonschema.validate(payload, schema_for(envelope.type), format_checker=jsonschema.FormatChecker())
        seen.add(envelope.type)
    assert {"PatientArrived", "BedAssigned", "AdmitDecided", "AppointmentBooked", "InsuranceVerified"} <= seen
    assert {"BedRequested", "BedRequestChanged", "InpatientBedAssigned", "InpatientBedReserved"} <= seen
    assert {"InpatientBedReady", "InpatientBedPrepared", "InpatientBedOccupied"} <= seen


def test_schema_rejects_an_event_missing_its_actor():
    payload = {
        "event_id": "6f2b8f39-52a4-4b8e-9d0c-4c3b3e1f9a10",
        "type": "PatientTriaged",
        "schema_version": 1,
        "facility_id": "f",
        "aggregate_type": "Encounter",
        "aggregate_id": "6f2b8f39-52a4-4b8e-9d0c-4c3b3e1f9a11",
        "aggregate_version": 2,
        "position": 3,
        "occurred_at": "2026-03-02T08:00:00Z",
        "recorded_at": "2026-03-02T08:00:01Z",
        "correlation_id": None,
        "data": {"type": "PatientTriaged", "esi": 2},
    }
    with pytest.raises(jsonschema.ValidationError, match="actor"):
        jsonschema.validate(payload, schema_for("PatientTriaged"))


@given(esi=st.integers(1, 5), position=st.integers(1, 2**40))
def test_codec_round_trips(esi, position):
    from uuid import uuid4

    from events import Actor, Envelope
    from events.catalogue import PatientTriaged

    now = datetime(2026, 3, 2, tzinfo=UTC)
    envelope = Envelope(
        event_id=uuid4(),
        type="PatientTriaged",
        schema_version=1,
        facility_id="f",
        aggregate_type="Encounter",
        aggregate_id=uuid4(),
        aggregate_version=2,
        position=position,
        occurred_at=now,
        recorded_at=now,
        actor=Actor(id="u", role="intake"),
        correlation_id=None,
        data=PatientTriaged(esi=esi),
    )
    assert decode(encode(envelope)) == envelope


def test_decode_names_the_bad_field():
    with pytest.raises(msgspec.ValidationError, match="position"):
        decode(b'{"event_id":"6f2b8f39-52a4-4b8e-9d0c-4c3b3e1f9a10","position":"x"}')


def test_committed_board_schema_matches_the_board_contract():
    assert BOARD_SCHEMA.read_text() == render_board(), "run `python -m events.schema` and commit events/schemas/"


def test_every_recorded_board_message_validates_against_the_board_schema():
    schema = json.loads(BOARD_SCHEMA.read_text())
    messages = [line for line in recorded_board() if line.startswith(b'{"facility_id"')]
    kinds = set()
    for raw in messages:
        jsonschema.validate(json.loads(raw), schema, format_checker=jsonschema.FormatChecker())
        assert encode_board(decode_board(raw)) == raw
        kinds |= {change.kind for change in decode_board(raw).changes}
    assert kinds == {"encounter", "bed", "capacity", "metrics", "appointment", "schedule"}


def test_a_board_value_missing_a_field_is_refused_by_schema_and_codec():
    raw = (
        b'{"facility_id":"f","seq":1,"type":"delta","as_of":null,"changes":'
        b'[{"kind":"bed","id":"A1","value":{"unit":"A","status":"dirty"}}]}'
    )
    with pytest.raises(jsonschema.ValidationError, match="not valid under any"):
        jsonschema.validate(json.loads(raw), json.loads(BOARD_SCHEMA.read_text()))
    with pytest.raises(msgspec.ValidationError, match="bed_type"):
        decode_board(raw)
