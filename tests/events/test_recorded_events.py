"""Events recorded by earlier versions still decode: event names (the `type`
tag) and field names are the stored and published contract."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from events import FACTS_BY_TYPE, decode, encode
from events.catalogue import PatientTransferred
from events.envelope import AnyFact

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class StoredFact(msgspec.Struct):
    """The fact inside a stored event's state (the rest is the store's own)."""

    fact: AnyFact


def test_a_published_envelope_of_every_type_decodes_to_the_same_bytes():
    lines = (FIXTURES / "envelopes_v1.jsonl").read_bytes().splitlines()
    types = []
    for line in lines:
        envelope = decode(line)
        assert type(envelope.data).__name__ == envelope.type
        assert encode(envelope) == line
        types.append(envelope.type)
    assert sorted(types) == sorted(FACTS_BY_TYPE)


def test_an_envelope_literal_decodes_field_by_field():
    raw = (
        b'{"event_id":"9fe3a5ea-870f-59dd-9bff-ebb27fd90efc","type":"PatientTransferred","schema_version":1,'
        b'"facility_id":"demo","aggregate_type":"Encounter","aggregate_id":"895ffba7-5766-5228-ab7e-60d8e1be4f74",'
        b'"aggregate_version":4,"position":17,"occurred_at":"2026-03-02T08:31:00Z",'
        b'"recorded_at":"2026-03-02T08:31:02Z","actor":{"id":"nurse-1","role":"charge-nurse"},'
        b'"correlation_id":null,"data":{"type":"PatientTransferred","from_bed_id":"A1","to_bed_id":"R2",'
        b'"to_unit":"resus"},"envelope_version":1}'
    )
    envelope = decode(raw)
    fact = envelope.data
    assert isinstance(fact, PatientTransferred)
    moved: PatientTransferred = fact
    assert (moved.from_bed_id, moved.to_bed_id, moved.to_unit) == ("A1", "R2", "resus")
    assert encode(envelope) == raw


def test_stored_events_decode_with_their_explicit_topics():
    rows = [json.loads(line) for line in (FIXTURES / "stored_events_v1.jsonl").read_text().splitlines()]
    decoder = msgspec.json.Decoder(StoredFact)
    for row in rows:
        assert row["topic"].startswith("edflow:") and row["topic"].split(".")[-1] in ("Created", "Recorded")
        if '"fact"' in row["state"]:
            stored = decoder.decode(row["state"])
            assert type(stored.fact).__name__ in FACTS_BY_TYPE
            assert msgspec.json.encode(stored.fact).decode() in row["state"]
