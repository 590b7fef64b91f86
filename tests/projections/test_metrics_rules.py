"""The fold's flow metrics: calendar days in the facility's time zone, late
documentation, and the admitted-patient measures (ED-1, ED-2)."""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec import to_builtins

from events.catalogue import (
    PatientDischarged,
)
from projections.entries import DayBucket
from projections.fold import fold_into, keys_for, step
from tests.projections.stories import Story, board_of


def test_metrics_fall_on_the_facility_calendar_day():
    story = Story()
    # 05:30 UTC on 2 March is 23:30 on 1 March in Chicago.
    story.now = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)
    visit = story.arrive("V1")
    story.wait(45).triage(visit, 3)  # 00:15 on 2 March in Chicago
    table = fold_into({}, story.envelopes)
    first, second = table["demo|day|2026-03-01"], table["demo|day|2026-03-02"]
    assert isinstance(first, DayBucket) and isinstance(second, DayBucket)
    assert first.arrivals == [datetime(2026, 3, 2, 5, 30, tzinfo=UTC)]
    assert [s.minutes for s in second.door_to_triage] == [45]
    today = board_of(table)[("metrics", "today")]
    assert (today["day"], today["visits"], today["door_to_triage"]["n"]) == ("2026-03-02", 0, 1)
    assert board_of(table)[("metrics", "rolling24h")]["visits"] == 1


def test_an_event_documented_late_past_midnight_republishes_the_current_day():
    story = Story()
    first = story.at(0).arrive("V1")  # 00:00 in Chicago on 2 March
    story.now = datetime(2026, 3, 3, 6, 1, tzinfo=UTC)  # 00:01 on 3 March
    story.arrive("V2")
    # Documented now, happened at 23:58 on 2 March.
    story.now = datetime(2026, 3, 3, 5, 58, tzinfo=UTC)
    story.triage(first, 3)
    table = fold_into({}, story.envelopes[:-1])
    late = story.envelopes[-1]
    changed = {
        (c.kind, c.id): to_builtins(c.value) for c in step({k: table.get(k) for k in keys_for(late)}, late).board
    }
    rolling = changed[("metrics", "rolling24h")]
    assert rolling["door_to_triage"]["n"] == 1 and rolling["as_of"] == "2026-03-03T06:01:00+00:00"
    assert board_of(fold_into(table, [late]))[("metrics", "rolling24h")] == rolling


def test_an_admitted_patient_counts_in_ed1_los_and_ed2_boarding_not_in_discharged_los():
    story = Story()
    story.register_bed("A1")
    visit = story.at(0).arrive("V1")
    story.at(20).assign_bed(visit, "A1")
    story.at(100).admit(visit)
    story.at(340).leave(visit, PatientDischarged(disposition="admitted", destination="ward 4"))
    today = board_of(fold_into({}, story.envelopes))[("metrics", "today")]
    # ED-1: arrival 0 -> departure 340; ED-2: admit decision 100 -> departure 340 = 240.
    assert today["los_admitted"] == {"median_minutes": 340.0, "p90_minutes": 340.0, "n": 1}
    assert today["boarding"] == {"median_minutes": 240.0, "p90_minutes": 240.0, "n": 1}
    assert today["los_discharged"]["n"] == 0
