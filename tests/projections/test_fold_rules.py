"""The fold's bookkeeping: which keys an event touches, repeats, and the changelog codec."""

from __future__ import annotations

import uuid

from projections.entries import decode_entry, encode_entry
from projections.fold import fold_into, keys_for, step
from tests.projections.appointment_story import book_appointment
from tests.projections.stories import Story


def test_every_key_starts_with_the_facility_and_the_summary_is_always_read():
    story = Story(facility_id="north")
    story.register_bed("A1")
    story.arrive("V1")
    for envelope in story.envelopes:
        keys = keys_for(envelope)
        assert keys[0] == "north|facility"
        assert all(key.startswith("north|") for key in keys)


def test_an_event_at_or_below_the_watermark_changes_nothing():
    story = Story()
    story.arrive("V1")
    envelope = story.envelopes[0]
    table = fold_into({}, [envelope])
    again = step({k: table.get(k) for k in keys_for(envelope)}, envelope)
    assert (again.changes, again.board) == ({}, [])


def test_entries_survive_the_changelog_codec():
    story = Story()
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.assign_bed(visit, "A1")
    book_appointment(story, uuid.uuid4(), day=4)
    table = fold_into({}, story.envelopes)
    assert {k: decode_entry(encode_entry(v)) for k, v in table.items()} == table
