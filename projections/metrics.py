"""Flow metrics (ED operations dictionary, Welch 2011; CMS OP-18, ED-1, ED-2).

Each interval is a sample in the bucket of the calendar day (facility time
zone) on which it ended: door-to-triage on the triage's day, LOS and boarding
on the departure's day; a visit counts on its arrival's day. A visit's samples
are derived from its state, so a correction that changes the state (arrival
cancelled, discharge cancelled) retracts exactly the samples it no longer has.

Percentiles interpolate linearly between closest ranks (the "inclusive"
method of Python's statistics.quantiles and numpy's default).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from msgspec.structs import replace

from projections.entries import DayBucket, EncounterEntry, Sample, VisitSamples
from projections.profile import FacilityProfile, days_back

INTERVALS = ("door_to_triage", "door_to_provider", "los_discharged", "los_admitted", "boarding")


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
        put(entry.triaged_at, "door_to_triage", Sample(entry.triaged_at, _minutes(entry.arrived_at, entry.triaged_at)))
    if entry.provider_at is not None:
        put(entry.provider_at, "door_to_provider", Sample(entry.provider_at, _minutes(entry.arrived_at, entry.provider_at)))
    left = entry.departed_at
    if entry.phase == "departed" and left is not None:
        if entry.lwbs:
            put(left, "lwbs_at", left)
        else:
            admitted = entry.disposition == "admitted" or entry.admit_decided_at is not None
            los = "los_admitted" if admitted else "los_discharged"
            put(left, los, Sample(left, _minutes(entry.arrived_at, left)))
        if entry.admit_decided_at is not None:
            put(left, "boarding", Sample(left, _minutes(entry.admit_decided_at, left)))
    return {day: VisitSamples(**fields) for day, fields in by_day.items()}


def with_visit(bucket: DayBucket, visit_id: str, samples: VisitSamples | None) -> DayBucket:
    visits = dict(bucket.visits)
    if samples is None:
        visits.pop(visit_id, None)
    else:
        visits[visit_id] = samples
    return replace(bucket, visits=visits)


def _percentile(sorted_values: list[float], fraction: float) -> float:
    position = fraction * (len(sorted_values) - 1)
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def summarize(values: Iterable[float]) -> dict[str, Any]:
    ordered = sorted(values)
    if not ordered:
        return {"median_minutes": None, "p90_minutes": None, "n": 0}
    return {
        "median_minutes": round(_percentile(ordered, 0.5), 1),
        "p90_minutes": round(_percentile(ordered, 0.9), 1),
        "n": len(ordered),
    }


def metrics_value(visits: Iterable[VisitSamples], since: datetime | None = None) -> dict[str, Any]:
    """Metrics over samples that ended after `since` (all when None)."""
    visits = list(visits)

    def recent(at: datetime | None) -> bool:
        return at is not None and (since is None or at > since)

    value: dict[str, Any] = {}
    for name in INTERVALS:
        value[name] = summarize(s.minutes for v in visits if (s := getattr(v, name)) is not None and recent(s.at))
    arrivals = sum(1 for v in visits if recent(v.arrived_at))
    lwbs = sum(1 for v in visits if recent(v.lwbs_at))
    value["visits"] = arrivals
    value["lwbs"] = lwbs
    value["lwbs_rate"] = round(lwbs / arrivals, 4) if arrivals else None
    return value


def metrics_entities(buckets: dict[str, DayBucket | None], as_of: datetime | None, profile: FacilityProfile) -> dict[str, Any]:
    """The "today" and "rolling24h" entities as of the last event's time, from
    that day's and the previous day's buckets; {} when they are not at hand."""
    if as_of is None:
        return {}
    today = profile.day_of(as_of)
    yesterday = days_back(today, 2)[1]
    if today not in buckets or yesterday not in buckets:
        return {}
    today_visits = list(buckets[today].visits.values()) if buckets[today] else []
    recent_visits = today_visits + (list(buckets[yesterday].visits.values()) if buckets[yesterday] else [])
    return {
        "today": {"day": today, **metrics_value(today_visits)},
        "rolling24h": metrics_value(recent_visits, since=as_of - timedelta(hours=24)),
    }
