"""Capacity and crowding: census, beds, waiting, boarders and NEDOCS.

The facility summary keeps running counts. Each visit and bed contributes to
them according to its state; a change subtracts the old contribution and adds
the new one, so corrections retract exactly what the visit had counted.
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from events.board import CapacityValue, Nedocs, NedocsInputs
from projections.entries import BedEntry, EncounterEntry, FacilitySummary
from projections.profile import FacilityProfile
from projections.waiting import is_waiting

NEDOCS_VARIANT = (
    "NEDOCS Weiss 2004, common form: -20 + 85.8 P/B + 600 A/H + 13.4 V + 0.93 L(h) + 5.64 W(h), clamped 0-200"
)
NEDOCS_BANDS = (
    (20, "not busy"),
    (60, "busy"),
    (100, "extremely busy"),
    (140, "overcrowded"),
    (180, "severely overcrowded"),
    (200, "dangerously overcrowded"),
)


def with_encounter(summary: FacilitySummary, old: EncounterEntry | None, new: EncounterEntry | None) -> FacilitySummary:
    census, waiting, untriaged = summary.census, summary.waiting, summary.untriaged
    ventilated = summary.ventilated
    boarders = dict(summary.boarders)
    for entry, sign in ((old, -1), (new, 1)):
        if entry is None or entry.phase != "open":
            continue
        census += sign
        waiting += sign * is_waiting(entry)
        untriaged += sign * (entry.esi is None)
        ventilated += sign * entry.ventilated
    if old is not None:
        boarders.pop(old.id, None)
    if new is not None and new.phase == "open" and new.admit_decided_at is not None:
        boarders[new.id] = new.admit_decided_at
    bedded_wait = summary.last_bedded_wait_minutes
    if new is not None and old is not None and old.roomed_at is None and new.roomed_at is not None:
        # NEDOCS input: how long the last patient put into a bed waited for it.
        bedded_wait = (new.roomed_at - new.arrived_at).total_seconds() / 60
    return replace(
        summary,
        census=census,
        waiting=waiting,
        untriaged=untriaged,
        ventilated=ventilated,
        boarders=boarders,
        last_bedded_wait_minutes=bedded_wait,
    )


def with_bed(summary: FacilitySummary, old: BedEntry | None, new: BedEntry | None) -> FacilitySummary:
    beds = dict(summary.beds)
    total = summary.beds_total
    for bed, sign in ((old, -1), (new, 1)):
        if bed is not None:
            beds[bed.status] = beds.get(bed.status, 0) + sign
            total += sign
    return replace(summary, beds={s: n for s, n in beds.items() if n}, beds_total=total)


def nedocs(
    census: int,
    beds_total: int,
    boarders: int,
    longest_boarding_h: float,
    bedded_wait_h: float,
    profile: FacilityProfile,
    ventilated: int = 0,
) -> Nedocs:
    """`ventilated`: open visits on a ventilator; the profile may add patients
    ventilated outside what edflow records."""
    ventilated += profile.ventilated
    inputs = NedocsInputs(
        ed_patients=census,
        ed_beds=beds_total,
        admitted_boarders=boarders,
        inpatient_beds=profile.inpatient_beds,
        ventilated=ventilated,
        longest_boarding_hours=round(longest_boarding_h, 3),
        last_bedded_wait_hours=round(bedded_wait_h, 3),
    )
    if beds_total <= 0 or profile.inpatient_beds <= 0:
        return Nedocs(score=None, band="unknown: no beds registered", variant=NEDOCS_VARIANT, inputs=inputs)
    raw = (
        -20
        + 85.8 * (census / beds_total)
        + 600 * (boarders / profile.inpatient_beds)
        + 13.4 * ventilated
        + 0.93 * longest_boarding_h
        + 5.64 * bedded_wait_h
    )
    score = round(min(200.0, max(0.0, raw)))
    band = next(name for upper, name in NEDOCS_BANDS if score <= upper)
    return Nedocs(score=score, band=band, variant=NEDOCS_VARIANT, inputs=inputs)


def capacity_value(summary: FacilitySummary, profile: FacilityProfile, at: datetime | None = None) -> CapacityValue:
    """Capacity and NEDOCS with boarding times run to `at` (default: the
    time of the last event folded in, as the live fold publishes them)."""
    as_of = at or summary.last_event_at
    longest = max(((as_of - t).total_seconds() / 60 for t in summary.boarders.values()), default=0.0) if as_of else 0.0
    longest = max(0.0, longest)
    beds = summary.beds
    return CapacityValue(
        census=summary.census,
        beds_total=summary.beds_total,
        beds_occupied=beds.get("occupied", 0),
        beds_available=beds.get("available", 0),
        # Dirty until housekeeping has finished: a bed being cleaned is not usable yet.
        beds_dirty=beds.get("dirty", 0) + beds.get("cleaning", 0),
        beds_blocked=beds.get("blocked", 0),
        waiting=summary.waiting,
        untriaged=summary.untriaged,
        boarders=len(summary.boarders),
        longest_boarding_minutes=round(longest, 1),
        nedocs=nedocs(
            summary.census,
            summary.beds_total,
            len(summary.boarders),
            longest / 60,
            (summary.last_bedded_wait_minutes or 0.0) / 60,
            profile,
            summary.ventilated,
        ),
    )
