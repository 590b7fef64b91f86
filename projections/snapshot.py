"""Board snapshots: every board entity of one facility, from its entries.

Agrees with the deltas `fold.step` published: the flow metrics are computed
at the event times the facility summary records for them.
"""

from __future__ import annotations

from collections.abc import Iterable

from events.board import (
    AppointmentChange,
    BedChange,
    CapacityChange,
    EncounterChange,
    EntityChange,
    MetricsChange,
    ScheduleChange,
)
from projections import beds, capacity, encounters, metrics, schedule
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
    entries: Iterable[tuple[str, Entry]], profile: FacilityProfile = DEFAULT_PROFILE
) -> list[EntityChange]:
    """Every board entity of one facility, from all its entries."""
    values = [entry for _, entry in entries if entry is not None]
    summary = next((e for e in values if isinstance(e, FacilitySummary)), None)
    as_of = summary.last_event_at if summary else None
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
        board.append(CapacityChange(id="ed", value=capacity.capacity_value(summary, profile)))
    buckets = {e.day: e for e in values if isinstance(e, DayBucket)}
    for name, at, entity in (
        ("today", summary.metrics_at if summary else None, metrics.today_entity),
        ("rolling24h", summary.rolling_at if summary else None, metrics.rolling_entity),
    ):
        if at is not None:
            wanted = {d: buckets.get(d) for d in days_back(profile.day_of(at), 2)}
            board.append(MetricsChange(id=name, value=entity(wanted, at, profile)))
    return board
