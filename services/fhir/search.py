"""FHIR search parameters: checking them, the date prefixes, and the scan of a
facility's aggregates that searches match against.

Searches are strict: an unknown parameter or a malformed value is refused
with 400 rather than ignored, because a client that silently gets every
resource back believes its filter was applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from base.input_bounds import LATEST_UTC
from base.store_log import pages
from services.errors import NotFound

# Parameters any search may carry; they do not filter.
ALWAYS_ALLOWED = frozenset({"_format"})
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


def date_filter(request, name: str = "date") -> Callable[[datetime, datetime | None], bool]:
    """All `date` values ANDed; a period with no end is still going on.

    Follows FHIR's range rules: `eq` = the period lies within the value's
    range; `ge`/`gt` = it reaches at/after it; `le`/`lt` = it starts at/before it.
    """
    tests = []
    for value in request.query_params.getlist(name):
        prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
        low = _moment(text, prefix)
        high = _end_of(text, low)
        tests.append((prefix, low, high))

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


def aggregate_ids(hospital: Application[Any], cls: type[Aggregate]) -> Iterator[UUID | str]:
    """Ids of every aggregate of one kind, from the store's log by the topic
    its creation event is stored under."""
    for page in pages(hospital, page=500, topics=[get_topic(cls.Created)]):
        yield from (notification.originator_id for notification in page)


def facility_aggregates(
    hospital: Application[Any], cls: type[Aggregate], facility_id: str, build: Callable[[object], dict | None]
) -> Iterator[dict | None]:
    """Every aggregate of one kind built as a resource; `build` raises NotFound
    for another facility's aggregate, which is skipped."""
    for aggregate_id in aggregate_ids(hospital, cls):
        try:
            yield build(aggregate_id)
        except NotFound:
            continue
