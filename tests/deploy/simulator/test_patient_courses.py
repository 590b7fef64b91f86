"""Synthetic visits: the published admission shares, plausible patients, and
a simulated day whose length of stay matches the reference median."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from deploy.simulator.arrivals import ArrivalModel
from deploy.simulator.patients import COMPLAINTS, draw_course

ARRIVED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def courses():
    rng, model = random.Random(21), ArrivalModel()
    return [draw_course(rng, model.draw_esi(rng), ARRIVED) for _ in range(30_000)]


def test_about_24_percent_go_to_a_ward_and_3_percent_to_icu(courses):
    outcomes = Counter(c.outcome for c in courses)
    assert outcomes["ward"] / len(courses) == pytest.approx(0.24, abs=0.015)
    assert outcomes["icu"] / len(courses) == pytest.approx(0.03, abs=0.006)


def test_only_the_most_urgent_never_leave_unseen(courses):
    assert all(c.patience_minutes is None for c in courses if c.esi <= 2)
    assert all(c.patience_minutes is not None and c.patience_minutes >= 30 for c in courses if c.esi >= 3)


def test_synthetic_patients_are_consistent_and_marked_synthetic(courses):
    for course in courses[:2000]:
        assert course.mrn.startswith("SIM")
        assert 0 <= course.age_years <= 100
        assert course.birth_date < ARRIVED.date()
        assert course.chief_complaint in COMPLAINTS[course.esi]
        assert course.minutes_target_stay >= 25
        if course.outcome in ("ward", "icu"):
            assert course.inpatient_unit and course.boarding_minutes >= 10


def test_a_simulated_day_has_the_reference_length_of_stay_and_few_lwbs(new_department):
    department = new_department()
    simulator = department.simulator(ARRIVED, timedelta(days=1), seed=11)
    tally = simulator.run()
    assert dict(simulator.client.counts.unexpected) == {}
    assert 120 <= tally.arrivals <= 200
    stays = sorted(tally.stays_minutes)
    median_hours = stays[len(stays) // 2] / 60
    assert 1.6 <= median_hours <= 2.8  # reference: 2.1 h
    assert tally.departures["lwbs"] / tally.arrivals < 0.05
    admitted = tally.departures["admitted"] / tally.arrivals
    assert 0.15 <= admitted <= 0.40  # reference: 24 % ward + 3 % ICU
