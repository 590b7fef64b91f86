"""The load model: the published hourly shape, daily mean and triage mix."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy.simulator.arrivals import HOURLY_SHARES, TRIAGE_MIX, ArrivalModel, weekday_factors

CHICAGO = ZoneInfo("America/Chicago")
# A Monday at local midnight, so whole weeks are whole weeks locally.
MONDAY = datetime(2026, 3, 2, tzinfo=CHICAGO)
DAYS = 140


@pytest.fixture(scope="module")
def many_days() -> list[datetime]:
    model = ArrivalModel()
    return list(model.arrival_times(random.Random(7), MONDAY, MONDAY + timedelta(days=DAYS)))


def test_hourly_shares_sum_to_one_hundred_percent():
    assert len(HOURLY_SHARES) == 24
    assert sum(HOURLY_SHARES) == pytest.approx(100.0, abs=1e-9)


def test_weekday_factors_keep_the_weekly_mean_and_make_monday_busier():
    factors = weekday_factors()
    assert sum(factors) / 7 == pytest.approx(1.0)
    assert factors[0] == pytest.approx(1.08)
    assert all(f < 1 for f in factors[1:])


def test_generated_arrivals_average_159_a_day(many_days):
    # Poisson with mean 159/day over 140 days: SD of the mean ~1.07/day.
    per_day = len(many_days) / DAYS
    assert 155 <= per_day <= 163


def test_generated_arrivals_follow_the_hourly_shape(many_days):
    by_hour = Counter(t.astimezone(CHICAGO).hour for t in many_days)
    total = len(many_days)
    for hour, share in enumerate(HOURLY_SHARES):
        expected = total * share / 100
        # ~5 standard deviations of a Poisson count: fails only on a wrong shape.
        assert abs(by_hour[hour] - expected) <= 5 * expected**0.5, f"hour {hour}"
    assert by_hour[17] > 3 * by_hour[5]  # late-afternoon peak, early-morning trough


def test_mondays_are_busier_than_other_days(many_days):
    by_weekday = Counter(t.astimezone(CHICAGO).weekday() for t in many_days)
    weeks = DAYS / 7
    assert by_weekday[0] / weeks > by_weekday[2] / weeks


def test_arrivals_are_ordered_and_inside_the_window():
    start = datetime(2026, 3, 8, 1, 30, tzinfo=CHICAGO)  # the night clocks go forward
    end = start + timedelta(hours=5)
    times = list(ArrivalModel().arrival_times(random.Random(3), start, end))
    assert times == sorted(times)
    assert all(start <= t < end for t in times)


def test_the_same_seed_gives_the_same_arrivals():
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    end = start + timedelta(days=2)
    first = list(ArrivalModel().arrival_times(random.Random(11), start, end))
    again = list(ArrivalModel().arrival_times(random.Random(11), start, end))
    other = list(ArrivalModel().arrival_times(random.Random(12), start, end))
    assert first == again
    assert first != other


def test_default_triage_mix_matches_the_published_series():
    model = ArrivalModel()
    rng = random.Random(5)
    draws = Counter(model.draw_esi(rng) for _ in range(40_000))
    total = sum(TRIAGE_MIX.values())
    for level, share in TRIAGE_MIX.items():
        assert draws[level] / 40_000 == pytest.approx(share / total, abs=0.01), f"ESI {level}"


def test_triage_mix_is_a_parameter():
    model = ArrivalModel(triage_mix={2: 50, 4: 50})
    rng = random.Random(5)
    assert {model.draw_esi(rng) for _ in range(500)} == {2, 4}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hourly_shares": (1.0,) * 23},
        {"per_day": -1},
        {"triage_mix": {6: 10.0}},
        {"triage_mix": {1: 0.0}},
    ],
)
def test_a_bad_load_model_is_refused(kwargs):
    with pytest.raises(ValueError):
        ArrivalModel(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    shares=st.lists(st.floats(0, 10), min_size=24, max_size=24).filter(lambda s: sum(s) > 0),
    per_day=st.floats(0, 500),
    offset_minutes=st.integers(0, 7 * 24 * 60),
)
def test_hourly_rates_over_a_week_add_up_to_seven_days_of_arrivals(shares, per_day, offset_minutes):
    model = ArrivalModel(per_day=per_day, hourly_shares=shares, zone=ZoneInfo("UTC"))
    start = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=offset_minutes)
    start = start.replace(minute=0)
    week = sum(model.hourly_rate(start + timedelta(hours=h)) for h in range(7 * 24))
    assert week == pytest.approx(7 * per_day, rel=1e-9, abs=1e-9)
