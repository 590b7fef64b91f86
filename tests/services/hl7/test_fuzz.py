"""Mutated messages thrown at the parser and router: every one gets an ACK
(AA, AE or AR) and none reaches the catch-all for unexpected failures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, SAMPLES, register_sample_beds, sample, segments
from tests.services.hl7.messages import adt, batch, siu

SEEDS = [sample(p.name) for p in sorted(SAMPLES.glob("*.hl7"))] + [
    adt("A04").encode(),
    adt("A03", disposition="07").encode(),
    siu("S12").encode(),
    batch(adt("A02"), adt("A12")).encode(),
]
NASTY = st.text(alphabet=st.sampled_from(list("|^~\\&\r\n\x0b\x1c\"' 0123456789+-.AZaz:éü\ufeff")), max_size=30)


@st.composite
def mutated(draw) -> bytes:
    message = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["field", "insert", "delete", "segment"]))
        if kind == "field":
            fields = message.split(b"|")
            at = draw(st.integers(min_value=0, max_value=len(fields) - 1))
            fields[at] = draw(NASTY).encode("utf-8")
            message = b"|".join(fields)
        elif kind == "insert":
            at = draw(st.integers(min_value=0, max_value=len(message)))
            message = message[:at] + draw(st.binary(max_size=12)) + message[at:]
        elif kind == "delete" and message:
            at = draw(st.integers(min_value=0, max_value=len(message) - 1))
            message = message[:at] + message[at + draw(st.integers(min_value=1, max_value=40)) :]
        else:
            lines = message.split(b"\r")
            at = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines.insert(at, lines.pop(draw(st.integers(min_value=0, max_value=len(lines) - 1))))
            message = b"\r".join(lines)
    return message


@pytest.fixture
def intake(sqlite_hospital):
    register_sample_beds(sqlite_hospital)
    return Intake(sqlite_hospital, FeedOptions(timezone="America/Chicago", senders=DEMO_SENDERS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=mutated())
def test_any_mutated_message_is_answered_with_an_ack(intake, message):
    reply = intake.handle_frame(message)
    acks = segments(reply, "MSA")
    assert acks and all(ack[1] in ("AA", "AE", "AR") for ack in acks)
    assert b"could not process this message now" not in reply, "an unexpected error reached the catch-all"
