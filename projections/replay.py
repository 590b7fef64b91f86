"""Auditor replay: the projections as they stood at any instant, rebuilt from
the event store or from the Kafka topics (`projections.runtime.kafka_source`)
with the same fold the worker runs.

"As of T" folds every event recorded at or before T (what the live projection
held after the last event recorded by then), or with `by="occurred"` every
event that happened at or before T. Events are folded in store order; one
a reducer cannot apply is skipped whole and counted (`skipped`), as the live
worker dead-letters it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec
from eventsourcing.application import Application

from base.store_log import envelopes
from events.envelope import Envelope
from projections import fold
from projections.beds import bed_board
from projections.entries import Entry, FacilitySummary, ScheduleBook
from projections.guarded import apply_changes, guarded_table_step
from projections.profile import DEFAULT_PROFILE, FacilityProfile
from projections.waiting import waiting_queue

Order = Literal["recorded", "occurred"]
log = logging.getLogger("edflow.replay")


class ReplayError(ValueError):
    """Replay cannot answer; the message says what to change."""


@dataclass
class Replay:
    """Folds envelopes of every facility into one in-memory table."""

    at: datetime | None = None
    by: Order = "recorded"
    profile_for: Callable[[str], FacilityProfile] = lambda facility_id: DEFAULT_PROFILE
    table: dict[str, Entry] = field(default_factory=dict)
    facilities: set[str] = field(default_factory=set)
    read: int = 0
    folded: int = 0
    skipped: int = 0
    # When a set: every table key the fold has written is added to it.
    changed: set[str] | None = None

    def feed(self, envelope: Envelope) -> None:
        self.read += 1
        self.facilities.add(envelope.facility_id)
        moment = envelope.recorded_at if self.by == "recorded" else envelope.occurred_at
        if self.at is not None and moment > self.at:
            return
        profile = self.profile_for(envelope.facility_id)
        # Only the entries are kept: the board is read off them at the end.
        result = guarded_table_step(self.table, envelope, profile)
        if isinstance(result, str):
            self.skipped += 1
            log.error(
                "replay skipped %s event %s at position %d: %s",
                envelope.type,
                envelope.event_id,
                envelope.position,
                result,
            )
            return
        apply_changes(self.table, result.changes)
        self.folded += bool(result.changes)
        if self.changed is not None:
            self.changed.update(result.changes)

    def entries_of(self, facility_id: str | None) -> tuple[str, list[tuple[str, Entry]]]:
        """The chosen facility and its entries; a ReplayError names the choices."""
        known = sorted(self.facilities)
        if facility_id is None:
            if len(known) > 1:
                raise ReplayError(f"events of several facilities ({', '.join(known)}): choose one with --facility")
            if not known:
                raise ReplayError("no events to replay: the source holds none")
            facility_id = known[0]
        elif facility_id not in self.facilities:
            raise ReplayError(f"no events of facility {facility_id!r}; known: {', '.join(known) or 'none'}")
        prefix = f"{facility_id}|"
        return facility_id, [(k, v) for k, v in self.table.items() if k.startswith(prefix)]


def store_envelopes(app: Application[Any], on_page: Callable[[int], None] | None = None) -> Iterator[Envelope]:
    """Every published event in the store, in store order; `on_page` hears
    the last position of each page read."""
    return envelopes(app, on_page=on_page)


def board_view(
    facility_id: str, entries: list[tuple[str, Entry]], as_of: datetime, profile: FacilityProfile
) -> dict[str, Any]:
    """The board as it stood at `as_of`: JSON-ready. Every time-dependent
    figure (waits, bed times, over-target flags, boarding, NEDOCS, "today"
    and the rolling 24 h) is evaluated at `as_of`, not at the last event."""
    snapshot = fold.board_snapshot(entries, profile, at=as_of)
    changes = {(c.kind, c.id): msgspec.to_builtins(c.value) for c in snapshot}
    summary = next((e for _, e in entries if isinstance(e, FacilitySummary)), None)
    values = [e for _, e in entries]
    schedule = next((e for e in values if isinstance(e, ScheduleBook)), None)
    return {
        "facility_id": facility_id,
        "as_of": as_of.isoformat(),
        "last_event_at": summary.last_event_at.isoformat() if summary and summary.last_event_at else None,
        "positions": dict(summary.positions) if summary else {},
        "waiting": waiting_queue(values, as_of, profile.wait_targets),
        "beds": bed_board(values, as_of),
        "capacity": changes.get(("capacity", "ed")),
        "metrics": {name: changes.get(("metrics", name)) for name in ("today", "rolling24h")},
        "schedule": {sid: v for (kind, sid), v in sorted(changes.items()) if kind == "schedule"} if schedule else {},
    }
