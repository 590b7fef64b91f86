"""Placement on the read side: a boarder's bed request (on its visit's
entry) and the inpatient units' beds (each bed's entry, and per-unit counts
in the facility summary), with their board values.

A unit's figures appear on the board from the facility's first
inpatient-bed event on, so a board without placement keeps its bytes.
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from events.board import InpatientUnitChange
from events.board_placement import BedRequestValue, InpatientUnitValue
from events.catalogue import (
    AdmissionCancelled,
    ArrivalCancelled,
    BedRequestCancelled,
    BedRequestChanged,
    BedRequested,
    DischargeCancelled,
    Fact,
    InpatientBedAssigned,
    InpatientBedOccupied,
    InpatientBedPrepared,
    InpatientBedReady,
    InpatientBedReleased,
    InpatientBedReserved,
    PatientDischarged,
    PatientLeftWithoutBeingSeen,
)
from events.envelope import Envelope
from projections.entries import EncounterEntry, FacilitySummary, InpatientBedEntry, RequestEntry
from projections.profile import FacilityProfile, inpatient_bed_key
from projections.step_builder import Builder

OPEN = ("requested", "assigned", "ready")
COUNTED = ("reserved", "ready", "occupied")


# --- the request, on the visit's entry ---------------------------------------


def with_request_fact(entry: EncounterEntry, fact: Fact, at: datetime) -> EncounterEntry:
    """The visit's entry after `fact` as far as its bed request goes."""
    request = entry.request
    match fact:
        case BedRequested():
            new = RequestEntry(
                state="requested",
                level_of_care=fact.level_of_care,
                inpatient_unit=fact.inpatient_unit,
                needs=fact.needs,
                requested_at=request.requested_at if request else at,
                decided_at=request.decided_at if request else entry.admit_decided_at,
                assigned_at=request.assigned_at if request else None,
            )
            return replace(entry, request=new)
        case AdmissionCancelled():
            entry = replace(entry, admit_decided_at=None)
    if request is None:
        return entry
    is_open = request.state in OPEN
    match fact:
        case BedRequestChanged():
            request = replace(
                request, level_of_care=fact.level_of_care, inpatient_unit=fact.inpatient_unit, needs=fact.needs
            )
        case InpatientBedAssigned():
            first = request.assigned_at or at
            request = replace(request, state="assigned", unit=fact.unit, bed_id=fact.bed_id, assigned_at=first)
            request = replace(request, ready_at=None)
        case InpatientBedReady():
            request = replace(request, state="ready", ready_at=at)
        case BedRequestCancelled() | AdmissionCancelled() | PatientLeftWithoutBeingSeen() | ArrivalCancelled():
            request = replace(request, state="cancelled") if is_open else request
        case PatientDischarged() if is_open:
            request = replace(request, state="left" if fact.disposition == "admitted" else "cancelled")
        case DischargeCancelled() if request.state == "left":
            back = "requested" if request.bed_id is None else "ready" if request.ready_at else "assigned"
            request = replace(request, state=back)
    return replace(entry, request=request)


def request_value(request: RequestEntry | None) -> BedRequestValue | None:
    if request is None:
        return None
    return BedRequestValue(
        state=request.state,
        level_of_care=request.level_of_care,
        inpatient_unit=request.inpatient_unit,
        needs=request.needs,
        requested_at=request.requested_at.isoformat(),
        unit=request.unit,
        bed_id=request.bed_id,
        assigned_at=_iso(request.assigned_at),
        ready_at=_iso(request.ready_at),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- inpatient beds and units -------------------------------------------------


def bed_after(old: InpatientBedEntry | None, aggregate_id: str, fact: Fact, at: datetime) -> InpatientBedEntry | None:
    match fact:
        case InpatientBedReserved():
            status = "ready" if fact.ready else "reserved"
            return InpatientBedEntry(
                id=aggregate_id,
                bed_id=fact.bed_id,
                unit=fact.unit,
                status=status,
                encounter_id=fact.encounter_id,
                since=at,
            )
    if old is None:
        return None  # a bed this table never saw reserved (a stream joined mid-way)
    match fact:
        case InpatientBedPrepared():
            return replace(old, status="ready", since=at)
        case InpatientBedOccupied():
            return replace(old, status="occupied", encounter_id=fact.encounter_id, since=at)
        case InpatientBedReleased():
            return replace(old, status="free", encounter_id=None, since=at)
    return old


def with_bed(summary: FacilitySummary, old: InpatientBedEntry | None, new: InpatientBedEntry | None) -> FacilitySummary:
    units = {unit: dict(counts) for unit, counts in (summary.inpatient or {}).items()}
    for bed, sign in ((old, -1), (new, 1)):
        if bed is not None and bed.status in COUNTED:
            counts = units.setdefault(bed.unit, {})
            counts[bed.status] = counts.get(bed.status, 0) + sign
    kept = {unit: {s: n for s, n in counts.items() if n} for unit, counts in units.items()}
    return replace(summary, inpatient=kept)


def inpatient_step(
    out: Builder, summary: FacilitySummary, envelope: Envelope, profile: FacilityProfile
) -> FacilitySummary:
    key = inpatient_bed_key(envelope.facility_id, str(envelope.aggregate_id))
    old = out.get(key, InpatientBedEntry)
    new = bed_after(old, str(envelope.aggregate_id), envelope.data, envelope.occurred_at)
    out.write(key, old, new)
    updated = with_bed(summary, old, new)
    if out.publishing:
        before = dict(unit_values(summary, profile))
        for unit, value in unit_values(updated, profile):
            out.publish(InpatientUnitChange, unit, before.get(unit), value)
    return updated


def unit_values(summary: FacilitySummary | None, profile: FacilityProfile) -> list[tuple[str, InpatientUnitValue]]:
    """Every inpatient unit's figures, once the facility has had an inpatient-bed event."""
    if summary is None or summary.inpatient is None:
        return []
    listed = {unit.id: unit for unit in profile.inpatient_units}
    values = []
    for unit_id in [*listed, *sorted(set(summary.inpatient) - set(listed))]:
        counts = summary.inpatient.get(unit_id, {})
        reserved, ready, occupied = (counts.get(status, 0) for status in COUNTED)
        unit = listed.get(unit_id)
        staffed = unit.staffed_beds if unit is not None else None
        values.append(
            (
                unit_id,
                InpatientUnitValue(
                    name=unit.name if unit is not None else unit_id,
                    level_of_care=unit.level_of_care if unit is not None else None,
                    staffed=staffed,
                    reserved=reserved,
                    ready=ready,
                    occupied=occupied,
                    free=max(0, staffed - reserved - ready - occupied) if staffed is not None else None,
                ),
            )
        )
    return values


def unit_changes(summary: FacilitySummary | None, profile: FacilityProfile) -> list[InpatientUnitChange]:
    return [InpatientUnitChange(id=unit, value=value) for unit, value in unit_values(summary, profile)]
