"""Property: whatever sequence of reservations and releases a calendar day
accepts, the intervals it holds never overlap."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events.catalogue import ProviderTimeReserved
from events.envelope import Actor
from services.access.calendars import ProviderDay
from services.errors import SlotAlreadyBooked
from services.recording import Meta

DAY = datetime(2026, 3, 2, tzinfo=UTC)
META = Meta(facility_id="fac-1", occurred_at=DAY, actor=Actor(id="u", role="scheduler"))

reserve = st.tuples(st.just("reserve"), st.integers(0, 9), st.integers(0, 47), st.integers(1, 8))
release = st.tuples(st.just("release"), st.integers(0, 9), st.just(0), st.just(0))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(reserve, release), min_size=1, max_size=40))
def test_a_calendar_day_never_holds_overlapping_appointments(steps):
    calendar = ProviderDay.open_with(
        uuid.uuid4(), ProviderTimeReserved(appointment_id="seed", start=DAY, end=DAY + timedelta(minutes=5)), META
    )
    for action, n, half_hour, length in steps:
        appointment_id = f"a{n}"
        if action == "release":
            calendar.release(appointment_id, META)
            continue
        start = DAY + timedelta(minutes=30 * half_hour)
        try:
            calendar.reserve(appointment_id, start, start + timedelta(minutes=15 * length), META)
        except SlotAlreadyBooked:
            pass
    held = sorted(calendar.reserved.values())
    assert all(earlier[1] <= later[0] for earlier, later in zip(held, held[1:]))
