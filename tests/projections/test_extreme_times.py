"""The fold is total over event time: a visit stored at either end of the
calendar (before event times were bounded) folds, with its metrics, in any
facility time zone, and the board snapshot is still built."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.catalogue import PatientDischarged
from projections.entries import FacilitySummary
from projections.fold import board_snapshot, fold_into
from projections.profile import FacilityProfile, days_back
from tests.projections.stories import Story

EDGES = [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 50, tzinfo=UTC)]
ZONES = ["America/Chicago", "Pacific/Kiritimati", "UTC"]  # UTC-6, UTC+14


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("start", EDGES, ids=["year-1", "year-9999"])
def test_a_visit_at_the_ends_of_the_calendar_folds(start, zone):
    story = Story(now=start)
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.wait(1).triage(visit, 3)
    story.wait(1).assign_bed(visit, "A1")
    story.wait(1).leave(visit, PatientDischarged(disposition="home"))
    profile = FacilityProfile(timezone=zone)
    table = fold_into({}, story.envelopes, profile)
    summary = table["demo|facility"]
    assert isinstance(summary, FacilitySummary) and summary.census == 0
    assert board_snapshot(sorted(table.items()), profile)


def test_days_past_the_calendar_are_left_out():
    assert days_back("9999-12-31", 2, ahead=1) == ["9999-12-31", "9999-12-30"]
    assert days_back("0001-01-01", 2, ahead=1) == ["0001-01-02", "0001-01-01"]
