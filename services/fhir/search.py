"""FHIR search parameters: checking them and the date prefixes.

Searches are strict: an unknown parameter or a malformed value is refused
with 400 rather than ignored, because a client that silently gets every
resource back believes its filter was applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from base.input_bounds import LATEST_UTC

# Parameters any search may carry; they do not filter (paging: services/fhir/bundle.py).
ALWAYS_ALLOWED = frozenset({"_format", "_count", "_cursor"})
PREFIXES = ("eq", "ne", "ge", "le", "gt", "lt")


class BadSearch(Exception):
    """A search parameter the server cannot apply (answered with 400)."""


def check_params(request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed - ALWAYS_ALLOWED)
    if unknown:
        raise BadSearch(f"unsupported search parameter {unknown[0]}: use {', '.join(sorted(allowed))}")
    for name in request.query_params:
        if any(not v for v in request.query_params.getlist(name)):
            raise BadSearch(f"search parameter {name} needs a value")


def tokens(request, name: str, allowed: set[str] | None = None) -> set[str] | None:
    """A token parameter's codes (comma means OR; `system|code` keeps the code)."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    codes = {v.split("|")[-1] for value in values for v in value.split(",")}
    if allowed is not None and (bad := sorted(codes - allowed)):
        raise BadSearch(f"{name}={bad[0]} is not one of {', '.join(sorted(allowed))}")
    return codes


def reference_ids(request, name: str, kind: str) -> set[str] | None:
    """A reference parameter's ids: `Kind/id` or a bare id."""
    codes = tokens(request, name)
    return None if codes is None else {c.removeprefix(f"{kind}/") for c in codes}


def _moment(text: str, bound: str) -> datetime:
    """A FHIR date/dateTime as an instant; a bare date at its UTC midnight."""
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1, tzinfo=UTC)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadSearch(
            f"date={bound}{text} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime with offset)"
        ) from None
    if moment.tzinfo is None:
        raise BadSearch(f"date={bound}{text} needs a time zone offset")
    return moment


def _end_of(text: str, start: datetime) -> datetime:
    """The exclusive end of the range a date value stands for (its precision).
    A range that reaches past the last instant of year 9999 ends there."""
    try:
        if len(text) == 4:
            return start.replace(year=start.year + 1)
        if len(text) == 7:
            return (start + timedelta(days=32)).replace(day=1)
        if len(text) == 10:
            return start + timedelta(days=1)
        return start + timedelta(seconds=1)
    except (ValueError, OverflowError):
        return LATEST_UTC


class DateTest(NamedTuple):
    prefix: str  # one of PREFIXES
    low: datetime  # the start of the range the value stands for
    high: datetime  # its exclusive end


def date_tests(request, name: str = "date") -> list[DateTest]:
    """The `date` values, each as its prefix and the range its text stands for."""
    tests = []
    for value in request.query_params.getlist(name):
        prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
        low = _moment(text, prefix)
        tests.append(DateTest(prefix, low, _end_of(text, low)))
    return tests


def date_filter(request, name: str = "date") -> Callable[[datetime, datetime | None], bool]:
    """All `date` values ANDed; a period with no end is still going on.

    Follows FHIR's range rules: `eq` = the period lies within the value's
    range; `ge`/`gt` = it reaches at/after it; `le`/`lt` = it starts at/before it.
    """
    return period_filter(date_tests(request, name))


def period_filter(tests: list[DateTest]) -> Callable[[datetime, datetime | None], bool]:
    """Whether a period passes every test (`date_filter` of parsed tests)."""

    def matches(start: datetime, end: datetime | None) -> bool:
        for prefix, low, high in tests:
            within = low <= start and end is not None and end <= high
            ok = {
                "eq": within,
                "ne": not within,
                "ge": end is None or end >= low,
                "gt": end is None or end > high,
                "le": start < high,
                "lt": start < low,
            }[prefix]
            if not ok:
                return False
        return True

    return matches
