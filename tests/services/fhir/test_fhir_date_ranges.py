"""Properties of the FHIR `date` search prefixes over arbitrary periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from services.fhir.search import date_filter

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 3, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31))
PERIODS = st.tuples(MOMENTS, st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5))))


def matches(period, *values: str) -> bool:
    start, length = period
    request = SimpleNamespace(query_params=QueryParams(urlencode([("date", v) for v in values])))
    return date_filter(request)(start, None if length is None else start + length)


@given(PERIODS, DAYS)
def test_ne_is_the_complement_of_eq(period, day):
    assert matches(period, f"ne{day}") is not matches(period, f"eq{day}")


@given(PERIODS, DAYS)
def test_ge_and_le_one_day_is_overlapping_that_day(period, day):
    start, length = period
    day_start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    overlaps = start < day_start + timedelta(days=1) and (length is None or start + length >= day_start)
    assert matches(period, f"ge{day}", f"le{day}") is overlaps


@given(PERIODS, DAYS)
def test_a_period_within_a_day_also_reaches_it_and_starts_by_its_end(period, day):
    if matches(period, str(day)):
        assert matches(period, f"ge{day}") and matches(period, f"le{day}") and period[1] is not None


@given(PERIODS, DAYS)
def test_strict_prefixes_are_narrower_than_inclusive_ones(period, day):
    assert not matches(period, f"gt{day}") or matches(period, f"ge{day}")
    assert not matches(period, f"lt{day}") or matches(period, f"le{day}")
