"""An event a reducer cannot apply is skipped whole: the fold of a stream
with such an event equals the fold of the stream without it.

The poison is an event whose shape is valid (it decodes) but whose
`occurred_at` carries no time zone: `fold.step` cannot compare it with the
facility's last event time and raises TypeError."""

from __future__ import annotations

import uuid

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.envelope import Envelope, decode, encode
from projections import fold
from projections.guarded import fold_into
from tests.projections.test_fold_properties import moves, story_of

fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def poison_like(envelope: Envelope) -> Envelope:
    """The same event with a new id and a zone-less time; it still decodes."""
    poison = msgspec.structs.replace(
        envelope, event_id=uuid.uuid4(), occurred_at=envelope.occurred_at.replace(tzinfo=None)
    )
    return decode(encode(poison))


@fast
@given(moves, st.data())
def test_a_stream_with_a_poison_event_folds_like_the_stream_without_it(plays, data):
    envelopes = story_of(plays).envelopes
    ed = [i for i, e in enumerate(envelopes) if i > 0 and fold.stream_of(e) == "ed"]
    at = data.draw(st.sampled_from(ed))
    poison = poison_like(envelopes[at])
    stream = [*envelopes[:at], poison, *envelopes[at:]]

    with pytest.raises(TypeError):
        fold.fold_into({}, stream)  # a real poison: the plain fold cannot apply it
    skipped: list[tuple[Envelope, str]] = []
    table = fold_into({}, stream, on_skip=lambda envelope, reason: skipped.append((envelope, reason)))

    assert table == fold.fold_into({}, envelopes)
    assert skipped == [(poison, "TypeError in projections.fold.step")]
