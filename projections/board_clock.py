"""The live board's clock: its time-dependent figures re-evaluated at an
instant when no event arrives.

A waiting visit's over-target flag, boarding time and every NEDOCS term
(capacity), and "today" and the rolling 24 h depend on the instant as well as
on the events. A fold step evaluates them at its own event's time; the worker
also re-evaluates them at the server's clock every `board_refresh_seconds`
(`projections.runtime.board_clock`) and publishes the ones that differ from
what the board shows as an ordinary delta with the next seq. After such a
delta the board is the fold of the events so far evaluated at its `as_of`:
what `board_snapshot(..., at=as_of)`, and so a replay at that instant, shows.

Only a few keys are read (the facility summary, the visits on the board and
the metrics' days), never the facility's history; nothing is written but the
board cursor: the clock changes what the board shows, not the fold's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import msgspec

from events.board import BoardValue, CapacityChange, EncounterChange, EntityChange
from projections import capacity, encounters
from projections.board_stream import BoardCursor
from projections.entries import DayBucket, EncounterEntry, Entry, FacilitySummary
from projections.profile import FacilityProfile, day_key, encounter_key, facility_key
from projections.snapshot import metric_days, metric_entities

Shown = Mapping[tuple[str, str], BoardValue]


def visits_shown(shown: Shown) -> list[str]:
    """Ids of the visits on the board."""
    return sorted(ident for kind, ident in shown if kind == "encounter")


def instant(summary: Entry | None, now: datetime) -> datetime:
    """The clock's instant: now, but never before the latest event folded in
    (a board does not claim a time before what it already shows)."""
    last = summary.last_event_at if isinstance(summary, FacilitySummary) else None
    return now if last is None or last <= now else last


def clock_keys(facility_id: str, visits: Iterable[str], profile: FacilityProfile, at: datetime) -> list[str]:
    """Table keys the time-dependent figures at `at` are read from."""
    return [
        facility_key(facility_id),
        *(encounter_key(facility_id, visit) for visit in visits),
        *(day_key(facility_id, day) for day in metric_days(at, profile)),
    ]


def entities_at(
    entries: Mapping[str, Entry | None],
    facility_id: str,
    visits: Iterable[str],
    profile: FacilityProfile,
    at: datetime,
) -> list[EntityChange]:
    """The time-dependent board entities at `at`, from the entries `clock_keys`
    names: exactly what `board_snapshot(..., at=at)` shows for them."""
    board: list[EntityChange] = []
    for visit in visits:
        entry = entries.get(encounter_key(facility_id, visit))
        value = encounters.board_value(entry if isinstance(entry, EncounterEntry) else None, at, profile.wait_targets)
        board.append(EncounterChange(id=visit, value=value))
    summary = entries.get(facility_key(facility_id))
    if not isinstance(summary, FacilitySummary):
        return board
    board.append(CapacityChange(id="ed", value=capacity.capacity_value(summary, profile, at)))
    buckets = {
        day: bucket
        for day in metric_days(at, profile)
        if isinstance(bucket := entries.get(day_key(facility_id, day)), DayBucket)
    }
    board.extend(metric_entities(summary, buckets, profile, at))
    return board


def changed(shown: Shown, entities: Iterable[EntityChange]) -> list[EntityChange]:
    """The entities whose value differs from what the board shows."""
    return [c for c in entities if shown.get((c.kind, c.id)) != c.value]


def ticked(cursor: BoardCursor, at: datetime) -> BoardCursor:
    """The cursor after a clock delta: the next seq, claiming `at`."""
    return msgspec.structs.replace(cursor, seq=cursor.seq + 1, as_of=at, pending={})
