"""One ED visit: its entry, how each encounter fact changes it, its board value.

The board shows what the floor needs (initials, age, ESI, complaint, times),
never names, MRNs or birth dates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec.structs import replace

from events.board import EncounterStatus, EncounterValue
from events.catalogue import (
    REQUEST_FACTS,
    AdmitDecided,
    ArrivalCancelled,
    BedAssigned,
    BedVacated,
    DischargeCancelled,
    Fact,
    NurseAssigned,
    PatientArrived,
    PatientDetailsUpdated,
    PatientDischarged,
    PatientLeftWithoutBeingSeen,
    PatientTransferred,
    PatientTriaged,
    ProviderAssigned,
    VentilationStarted,
    VentilationStopped,
)
from events.published import age_at, initials_of
from projections import placement
from projections.entries import EncounterEntry, initials
from projections.waiting import is_over_target


def arrived(encounter_id: str, fact: PatientArrived, at: datetime) -> EncounterEntry:
    given, family = initials_of(fact.patient)
    return EncounterEntry(
        id=encounter_id,
        visit_number=fact.visit_number,
        given_initial=given or "",
        family_initial=family or "",
        age_years=age_at(fact.patient, at),
        sex=fact.patient.sex,
        chief_complaint=fact.chief_complaint,
        arrival_mode=fact.arrival_mode,
        arrived_at=at,
    )


def apply_fact(entry: EncounterEntry, fact: Fact, at: datetime) -> EncounterEntry:
    """The visit after `fact` happened at `at` (event time)."""
    if entry.request is not None or isinstance(fact, REQUEST_FACTS):
        entry = placement.with_request_fact(entry, fact, at)  # the bed request
        if isinstance(fact, REQUEST_FACTS):
            return entry
    match fact:
        case PatientTriaged():
            # Door-to-triage measures the first triage; a re-triage only changes the level.
            return replace(entry, esi=fact.esi, triaged_at=entry.triaged_at or at)
        case ProviderAssigned():
            return replace(entry, provider_id=fact.provider_id, provider_at=entry.provider_at or at)
        case NurseAssigned():
            return replace(entry, nurse_id=fact.nurse_id)
        case BedAssigned():
            return replace(entry, bed_id=fact.bed_id, unit=fact.unit, roomed_at=entry.roomed_at or at)
        case PatientTransferred():
            return replace(entry, bed_id=fact.to_bed_id, unit=fact.to_unit, roomed_at=entry.roomed_at or at)
        case BedVacated():
            return replace(entry, bed_id=None, unit=None)
        case AdmitDecided():
            return replace(entry, admit_decided_at=entry.admit_decided_at or at)
        case PatientDischarged():
            return replace(
                entry, phase="departed", departed_at=at, disposition=fact.disposition, bed_id=None, unit=None
            )
        case PatientLeftWithoutBeingSeen():
            return replace(entry, phase="departed", departed_at=at, lwbs=True, bed_id=None, unit=None)
        case ArrivalCancelled():
            return replace(entry, phase="cancelled", bed_id=None, unit=None)
        case DischargeCancelled():
            return replace(entry, phase="open", departed_at=None, disposition=None)
        case PatientDetailsUpdated():
            return _amended(entry, fact, at)
        case VentilationStarted():
            return replace(entry, ventilated=True)
        case VentilationStopped():
            return replace(entry, ventilated=False)
    return entry


def _amended(entry: EncounterEntry, fact: PatientDetailsUpdated, at: datetime) -> EncounterEntry:
    changes: dict[str, Any] = {}
    if fact.chief_complaint is not None:
        changes["chief_complaint"] = fact.chief_complaint
    if fact.arrival_mode is not None:
        changes["arrival_mode"] = fact.arrival_mode
    person = fact.patient
    if person is not None:
        given, family = initials_of(person)
        if given is not None:
            changes["given_initial"] = given
        if family is not None:
            changes["family_initial"] = family
        if person.age_years is not None or person.birth_date is not None:
            # Age at arrival, so an amendment reads the same whenever it is
            # applied; a published correction states only the age at its own time.
            changes["age_years"] = age_at(person, entry.arrived_at)
        if person.sex != "U":
            changes["sex"] = person.sex
    return replace(entry, **changes) if changes else entry


def board_status(entry: EncounterEntry) -> EncounterStatus:
    if entry.admit_decided_at is not None:
        return "boarding"
    return "roomed" if entry.bed_id is not None else "waiting"


def on_board(entry: EncounterEntry | None) -> bool:
    return entry is not None and entry.phase == "open"


def board_value(entry: EncounterEntry | None, as_of: datetime, targets: dict[int, int]) -> EncounterValue | None:
    """The board entity; None once the visit left (or never happened)."""
    if entry is None or not on_board(entry):
        return None
    status = board_status(entry)
    # No visit number: it is an identifier, and the board needs none (its
    # entity id is the opaque encounter id the commands use).
    return EncounterValue(
        initials=initials(entry.given_initial, entry.family_initial),
        age_years=entry.age_years,
        sex=entry.sex,
        chief_complaint=entry.chief_complaint,
        esi=entry.esi,
        arrival_mode=entry.arrival_mode,
        arrived_at=entry.arrived_at.isoformat(),
        triaged_at=_iso(entry.triaged_at),
        provider_id=entry.provider_id,
        provider_at=_iso(entry.provider_at),
        bed_id=entry.bed_id,
        unit=entry.unit,
        roomed_at=_iso(entry.roomed_at),
        admit_decided_at=_iso(entry.admit_decided_at),
        status=status,
        over_target=status == "waiting" and is_over_target(entry.esi, entry.arrived_at, as_of, targets),
        wait_target_minutes=targets.get(entry.esi) if entry.esi is not None else None,
        ventilated=entry.ventilated,
        nurse_id=entry.nurse_id,
        bed_request=placement.request_value(entry.request),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
