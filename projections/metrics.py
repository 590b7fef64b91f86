"""Flow metrics (ED operations dictionary, Welch 2011; CMS OP-18, ED-1, ED-2).

Each interval is a sample in the bucket of the calendar day (facility time
zone) on which it ended: door-to-triage on the triage's day, LOS and boarding
on the departure's day; a visit counts on its arrival's day. A visit's samples
are derived from its state, so a correction that changes the state (arrival
cancelled, discharge cancelled) retracts exactly the samples it no longer has.
Each day keeps its samples sorted: "today" is read off in O(1) per interval,
the rolling 24 h merges two sorted days.

Percentiles interpolate linearly between closest ranks (the "inclusive"
method of Python's statistics.quantiles and numpy's default).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
from msgspec.structs import replace

from base.input_bounds import plus
from events.board import Interval, MetricsValue
from projections.boarding_split import SPLIT, split_intervals, split_samples
from projections.entries import DayBucket, EncounterEntry, Sample, VisitSamples
from projections.profile import FacilityProfile, days_back

INTERVALS = ("door_to_triage", "door_to_provider", "los_discharged", "los_admitted", "boarding")
# DayBucket series and the VisitSamples field that feeds each.
SERIES = (("arrivals", "arrived_at"), ("lwbs", "lwbs_at")) + tuple((name, name) for name in INTERVALS + SPLIT)


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def visit_samples(entry: EncounterEntry | None, profile: FacilityProfile) -> dict[str, VisitSamples]:
    """Day -> what this visit contributes to that day's metrics."""
    if entry is None or entry.phase == "cancelled":
        return {}
    by_day: dict[str, dict[str, Any]] = {}

    def put(at: datetime, field: str, value: Any) -> None:
        by_day.setdefault(profile.day_of(at), {})[field] = value

    put(entry.arrived_at, "arrived_at", entry.arrived_at)
    if entry.triaged_at is not None:
        put(entry.triaged_at, "door_to_triage", Sample(_minutes(entry.arrived_at, entry.triaged_at), entry.triaged_at))
    if entry.provider_at is not None:
        put(
            entry.provider_at,
            "door_to_provider",
            Sample(_minutes(entry.arrived_at, entry.provider_at), entry.provider_at),
        )
    left = entry.departed_at
    if entry.phase == "departed" and left is not None:
        if entry.lwbs:
            put(left, "lwbs_at", left)
        else:
            admitted = entry.disposition == "admitted" or entry.admit_decided_at is not None
            los = "los_admitted" if admitted else "los_discharged"
            put(left, los, Sample(_minutes(entry.arrived_at, left), left))
        if entry.admit_decided_at is not None:
            put(left, "boarding", Sample(_minutes(entry.admit_decided_at, left), left))
    for name, sample in split_samples(entry):
        put(sample.at, name, sample)
    return {day: VisitSamples(**fields) for day, fields in by_day.items()}


def same_samples(old: EncounterEntry | None, new: EncounterEntry | None) -> bool:
    """True when `visit_samples` is sure to give the same for both: every
    field it reads is the same (datetimes: the very same object, as a
    reducer that leaves a time alone keeps it). Most facts (a bed, a detail)
    change none of them, and their samples need not be derived twice."""
    if old is None or new is None:
        return old is new
    return (
        old.phase == new.phase
        and old.lwbs == new.lwbs
        and old.disposition == new.disposition
        and old.arrived_at is new.arrived_at
        and old.triaged_at is new.triaged_at
        and old.provider_at is new.provider_at
        and old.departed_at is new.departed_at
        and old.admit_decided_at is new.admit_decided_at
        and old.request is new.request
    )


def with_samples(bucket: DayBucket, old: VisitSamples | None, new: VisitSamples | None) -> DayBucket | None:
    """The day after one visit's samples changed from `old` to `new`; None when it holds nothing."""
    changed: dict[str, list] = {}
    for name, field in SERIES:
        before = getattr(old, field) if old is not None else None
        after = getattr(new, field) if new is not None else None
        if before == after:
            continue
        series = changed[name] = list(getattr(bucket, name))
        if before is not None:
            at = bisect_left(series, before)
            if at < len(series) and series[at] == before:
                del series[at]
        if after is not None:
            insort(series, after)
    result = replace(bucket, **changed) if changed else bucket
    # Any series of SERIES still holding a sample.
    holds = (
        result.arrivals
        or result.lwbs
        or result.door_to_triage
        or result.door_to_provider
        or result.los_discharged
        or result.los_admitted
        or result.boarding
        or any(getattr(result, name) for name in SPLIT)
    )
    return result if holds else None


def changed_times(old: VisitSamples | None, new: VisitSamples | None) -> list[datetime]:
    """When the samples that differ between `old` and `new` ended."""
    moments: list[datetime] = []
    for _, field in SERIES:
        before = getattr(old, field) if old is not None else None
        after = getattr(new, field) if new is not None else None
        if before != after:
            moments.extend(_when(x) for x in (before, after) if x is not None)
    return moments


def _when(sample: Sample | datetime) -> datetime:
    return sample.at if isinstance(sample, Sample) else sample


def _percentile(ordered: Sequence[Any], fraction: float, value: Callable[[Any], float]) -> float:
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    low, high = value(ordered[lower]), value(ordered[upper])
    return low + (high - low) * (position - lower)


def summarize(ordered: Sequence[Any], value: Callable[[Any], float] = lambda sample: sample.minutes) -> Interval:
    """Median and 90th percentile of samples already sorted by minutes."""
    if not ordered:
        return Interval(median_minutes=None, p90_minutes=None, n=0)
    return Interval(
        median_minutes=round(_percentile(ordered, 0.5, value), 1),
        p90_minutes=round(_percentile(ordered, 0.9, value), 1),
        n=len(ordered),
    )


def _value(
    as_of: datetime,
    intervals: list[Interval],
    arrivals: int,
    lwbs: int,
    day: str | msgspec.UnsetType = msgspec.UNSET,
    split: dict[str, Any] | None = None,
) -> MetricsValue:
    """`intervals` in INTERVALS order."""
    door_to_triage, door_to_provider, los_discharged, los_admitted, boarding = intervals
    return MetricsValue(
        day=day,
        as_of=as_of.isoformat(),
        door_to_triage=door_to_triage,
        door_to_provider=door_to_provider,
        los_discharged=los_discharged,
        los_admitted=los_admitted,
        boarding=boarding,
        visits=arrivals,
        lwbs=lwbs,
        lwbs_rate=round(lwbs / arrivals, 4) if arrivals else None,
        **(split or {}),
    )


def day_value(bucket: DayBucket | None, as_of: datetime, day: str) -> MetricsValue:
    """Metrics of one whole day."""
    bucket = bucket or DayBucket(day="")
    intervals = [summarize(getattr(bucket, name)) for name in INTERVALS]
    split = split_intervals(lambda name: getattr(bucket, name), summarize)
    return _value(as_of, intervals, len(bucket.arrivals), len(bucket.lwbs), day, split)


def window_value(days: list[DayBucket | None], since: datetime, until: datetime) -> MetricsValue:
    """Metrics of the samples that ended in (since, until], from sorted days."""
    present = [d for d in days if d is not None]

    def merged(name: str) -> list[Sample]:
        # Each day's list is sorted; Timsort merges the runs in linear time.
        return sorted(s for d in present for s in getattr(d, name) if since < s.at <= until)

    intervals = [summarize(merged(name)) for name in INTERVALS]
    arrivals = sum(bisect_right(d.arrivals, until) - bisect_right(d.arrivals, since) for d in present)
    lwbs = sum(bisect_right(d.lwbs, until) - bisect_right(d.lwbs, since) for d in present)
    return _value(until, intervals, arrivals, lwbs, split=split_intervals(merged, summarize))


def today_at_hand(buckets: dict[str, DayBucket | None], today: str) -> bool:
    """Whether `today_entity` has a value at a time on `today`: its bucket is among `buckets`."""
    return today in buckets


def rolling_at_hand(buckets: dict[str, DayBucket | None], today: str) -> bool:
    """Whether `rolling_entity` has a value at a time on `today`: its bucket
    and the day before's are among `buckets`."""
    # On 0001-01-01 there is no day before (days_back leaves it out).
    return today in buckets and days_back(today, 2)[-1] in buckets


def today_entity(
    buckets: dict[str, DayBucket | None], as_of: datetime, profile: FacilityProfile
) -> MetricsValue | None:
    """Metrics of the calendar day of `as_of`; None when its bucket is not at hand."""
    today = profile.day_of(as_of)
    if not today_at_hand(buckets, today):
        return None
    return day_value(buckets[today], as_of, today)


def rolling_entity(
    buckets: dict[str, DayBucket | None], as_of: datetime, profile: FacilityProfile
) -> MetricsValue | None:
    """Metrics of the 24 h up to `as_of`, from its day and the day before."""
    today = profile.day_of(as_of)
    if not rolling_at_hand(buckets, today):
        return None
    yesterday = days_back(today, 2)[-1]
    days = [buckets[yesterday], buckets[today]] if yesterday != today else [buckets[today]]
    return window_value(days, plus(as_of, -timedelta(hours=24)), as_of)
