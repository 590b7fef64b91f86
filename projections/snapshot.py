"""Board snapshots: every board entity of one facility, from its entries.

Without an instant, agrees with the deltas `fold.step` published: the flow
metrics are computed at the event times the facility summary records for
them. With `at`, every time-dependent figure (over-target flags, longest
boarding and NEDOCS, "today" and the rolling 24 h) is evaluated at that one
instant: the board as it stood at `at`, however long before it the last
event was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from events.board import (
    AppointmentChange,
    BedChange,
    CapacityChange,
    EncounterChange,
    EntityChange,
    MetricsChange,
    ScheduleChange,
)
from projections import beds, capacity, encounters, metrics, placement, schedule
from projections.entries import (
    AppointmentEntry,
    BedEntry,
    DayBucket,
    EncounterEntry,
    Entry,
    FacilitySummary,
    ScheduleBook,
)
from projections.profile import DEFAULT_PROFILE, FacilityProfile, days_back


def board_snapshot(
    entries: Iterable[tuple[str, Entry]], profile: FacilityProfile = DEFAULT_PROFILE, at: datetime | None = None
) -> list[EntityChange]:
    """Every board entity of one facility, from all its entries; time-dependent
    figures at `at` when given."""
    values = [entry for _, entry in entries if entry is not None]
    summary = next((e for e in values if isinstance(e, FacilitySummary)), None)
    as_of = at or (summary.last_event_at if summary else None)
    board: list[EntityChange] = []
    for entry in values:
        if isinstance(entry, EncounterEntry) and encounters.on_board(entry):
            value = encounters.board_value(entry, as_of or entry.arrived_at, profile.wait_targets)
            board.append(EncounterChange(id=entry.id, value=value))
        elif isinstance(entry, BedEntry):
            board.append(BedChange(id=entry.bed_id, value=beds.board_value(entry)))
        elif isinstance(entry, AppointmentEntry):
            board.append(AppointmentChange(id=entry.id, value=schedule.appointment_value(entry)))
        elif isinstance(entry, ScheduleBook):
            for sid in sorted(entry.counts):
                board.append(ScheduleChange(id=sid, value=schedule.schedule_value(entry, sid)))
    if summary is not None:
        board.append(CapacityChange(id="ed", value=capacity.capacity_value(summary, profile, at)))
        board.extend(placement.unit_changes(summary, profile))
    buckets = {e.day: e for e in values if isinstance(e, DayBucket)}
    board.extend(metric_entities(summary, buckets, profile, at))
    return board


def metric_days(when: datetime, profile: FacilityProfile) -> list[str]:
    """The days whose buckets the flow metrics at `when` read."""
    return days_back(profile.day_of(when), 2)


def metric_entities(
    summary: FacilitySummary | None,
    buckets: Mapping[str, DayBucket | None],
    profile: FacilityProfile,
    at: datetime | None = None,
) -> list[EntityChange]:
    """The flow metrics ("today", rolling 24 h) once the fold has published them: at `at`
    when given (both share the board's instant), else at the event times the
    summary recorded for each. `buckets` holds at least `metric_days`."""
    board: list[EntityChange] = []
    for name, published_at, entity in (
        ("today", summary.metrics_at if summary else None, metrics.today_entity),
        ("rolling24h", summary.rolling_at if summary else None, metrics.rolling_entity),
    ):
        when = at if at is not None and published_at is not None else published_at
        if when is not None:
            wanted = {d: buckets.get(d) for d in metric_days(when, profile)}
            board.append(MetricsChange(id=name, value=entity(wanted, when, profile)))
    return board
