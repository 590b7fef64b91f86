"""The boarding split beside ED-2: admit decision -> bed request, request ->
bed assigned, bed assigned -> the patient left the ED for it.

Each interval is a sample on the day it ended, like the other flow metrics
(`projections.metrics`), derived from the visit's entry: its first
request and the admit decision it followed, the first assignment, and the
departure of a visit whose request was completed. Later requests of the
visit keep those times, so only a correction retracts a sample.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from events.board import Interval
from projections.entries import EncounterEntry, Sample

SPLIT = ("decision_to_request", "request_to_assigned", "assigned_to_departure")


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def split_samples(entry: EncounterEntry) -> list[tuple[str, Sample]]:
    """(series, sample) of this visit's boarding split."""
    request = entry.request
    if request is None:
        return []
    found = []
    decided = request.decided_at
    if decided is not None:
        found.append(("decision_to_request", Sample(_minutes(decided, request.requested_at), request.requested_at)))
    if request.assigned_at is not None:
        found.append(
            ("request_to_assigned", Sample(_minutes(request.requested_at, request.assigned_at), request.assigned_at))
        )
        left = entry.departed_at
        if request.state == "left" and entry.phase == "departed" and left is not None:
            found.append(("assigned_to_departure", Sample(_minutes(request.assigned_at, left), left)))
    return found


def split_intervals(series: Callable[[str], list[Any]], summarize: Callable[[list[Any]], Interval]) -> dict[str, Any]:
    """The MetricsValue fields of the split: only those with samples, so a
    board without bed requests keeps its bytes."""
    found = {}
    for name in SPLIT:
        samples = series(name)
        if samples:
            found[name] = summarize(samples)
    return found
