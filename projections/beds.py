"""The bed board: every bed by unit, its state, who is in it and since when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from msgspec.structs import asdict, replace

from events.board import BedValue
from events.catalogue import (
    BedBlocked,
    BedCleaned,
    BedCleaningStarted,
    BedOccupied,
    BedRegistered,
    BedReleased,
    BedUnblocked,
    Fact,
)
from projections.entries import BedEntry, Entry


def registered(bed_aggregate_id: str, fact: BedRegistered, at: datetime) -> BedEntry:
    return BedEntry(
        id=bed_aggregate_id,
        bed_id=fact.bed_id,
        unit=fact.unit,
        bed_type=fact.bed_type,
        label=fact.label or fact.bed_id,
        since=at,
    )


def apply_fact(bed: BedEntry, fact: Fact, at: datetime) -> BedEntry:
    match fact:
        case BedOccupied():
            return replace(bed, status="occupied", encounter_id=fact.encounter_id, since=at, reason=None)
        case BedReleased():
            return replace(bed, status="dirty", encounter_id=None, since=at)
        case BedCleaningStarted():
            return replace(bed, status="cleaning", since=at)
        case BedCleaned():
            return replace(bed, status="available", since=at)
        case BedBlocked():
            return replace(bed, status_before_block=bed.status, status="blocked", reason=fact.reason, since=at)
        case BedUnblocked():
            return replace(bed, status=bed.status_before_block, reason=None, since=at)
    return bed


def board_value(bed: BedEntry | None) -> BedValue | None:
    return None if bed is None else _value(bed)


def _value(bed: BedEntry) -> BedValue:
    return BedValue(
        unit=bed.unit,
        bed_type=bed.bed_type,
        label=bed.label,
        status=bed.status,
        encounter_id=bed.encounter_id,
        since=bed.since.isoformat(),
        reason=bed.reason,
    )


def bed_board(
    entries: Iterable[Entry] | Iterable[tuple[str, Entry]], as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Beds grouped by unit (sorted), each with minutes in its current state as of `as_of`."""
    by_unit: dict[str, list[dict[str, Any]]] = {}
    beds = [e[1] if isinstance(e, tuple) else e for e in entries]
    for bed in sorted((b for b in beds if isinstance(b, BedEntry)), key=lambda b: (b.unit, b.bed_id)):
        row: dict[str, Any] = {"bed_id": bed.bed_id, **asdict(_value(bed))}
        row["minutes_in_state"] = round(max(0.0, (as_of - bed.since).total_seconds() / 60), 1)
        by_unit.setdefault(bed.unit, []).append(row)
    return by_unit
