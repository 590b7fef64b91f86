"""The bed request's rules, on the visit it belongs to, and the inpatient
bed's own record (`InpatientBed`): one bed never holds two patients.

The request is part of the `Encounter` aggregate (`Encounter.bed_request`),
so an admit decision, its request and the visit's departure are decided
against one state; the functions here decide and record on it. What the
inpatient bed must do after a visit's command (hold, prepare, occupy or
free it) is read off the request before and after: see `bed_holding`.
"""

from __future__ import annotations

from typing import Protocol

import msgspec
from msgspec.structs import replace

from events.catalogue import (
    AdmissionCancelled,
    ArrivalCancelled,
    BedNeeds,
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
    RequestedLevel,
    RequestState,
)
from services.errors import BedNotAvailable, InvalidTransition
from services.recording import FlowAggregate, Meta

OPEN = ("requested", "assigned", "ready")


class BedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A visit's bed request as the write model keeps it."""

    state: RequestState
    level_of_care: RequestedLevel
    inpatient_unit: str | None
    needs: BedNeeds
    unit: str | None = None  # the assigned inpatient bed's unit
    bed_id: str | None = None
    ready: bool = False


class Holding(msgspec.Struct, frozen=True):
    """What a visit asks of one inpatient bed: held (ready or not) or occupied."""

    unit: str
    bed_id: str
    occupied: bool
    ready: bool


def bed_holding(request: BedRequest | None) -> Holding | None:
    if request is None or request.bed_id is None or request.unit is None:
        return None
    if request.state in ("assigned", "ready"):
        return Holding(request.unit, request.bed_id, False, request.state == "ready")
    if request.state == "left":
        return Holding(request.unit, request.bed_id, True, True)
    return None


def request_after(request: BedRequest | None, fact: Fact) -> BedRequest | None:
    """The visit's request after `fact` (any encounter fact)."""
    match fact:
        case BedRequested():
            return BedRequest(
                state="requested",
                level_of_care=fact.level_of_care,
                inpatient_unit=fact.inpatient_unit,
                needs=fact.needs,
            )
    if request is None:
        return None
    is_open = request.state in OPEN
    match fact:
        case BedRequestChanged():
            return replace(
                request, level_of_care=fact.level_of_care, inpatient_unit=fact.inpatient_unit, needs=fact.needs
            )
        case InpatientBedAssigned():
            return replace(request, state="assigned", unit=fact.unit, bed_id=fact.bed_id, ready=False)
        case InpatientBedReady():
            return replace(request, state="ready", ready=True)
        case BedRequestCancelled() | AdmissionCancelled() | PatientLeftWithoutBeingSeen() | ArrivalCancelled():
            return replace(request, state="cancelled") if is_open else request
        case PatientDischarged():
            if not is_open:
                return request
            return replace(request, state="left" if fact.disposition == "admitted" else "cancelled")
        case DischargeCancelled():
            if request.state != "left":
                return request
            back: RequestState = "requested" if request.bed_id is None else "ready" if request.ready else "assigned"
            return replace(request, state=back)
    return request


# --- decisions on the visit ---------------------------------------------------


class Encounter(Protocol):
    """What the rules read and call on `services.ed.domainmodel.Encounter`."""

    admit_decided: bool
    bed_request: BedRequest | None

    def _check_open_move(self, meta: Meta, what: str) -> None: ...

    def _record(self, fact: Fact, meta: Meta) -> None: ...


def _open_request(encounter: Encounter, meta: Meta, what: str) -> BedRequest:
    encounter._check_open_move(meta, what)
    request = encounter.bed_request
    if request is None or request.state not in OPEN:
        raise InvalidTransition("the visit has no open bed request")
    return request


def open_request(encounter: Encounter, level: RequestedLevel, unit: str | None, needs: BedNeeds, meta: Meta) -> None:
    encounter._check_open_move(meta, "given a bed request")
    if not encounter.admit_decided:
        raise InvalidTransition("no admit decision is recorded for this visit: decide the admission first")
    if encounter.bed_request is not None and encounter.bed_request.state in OPEN:
        raise InvalidTransition("the visit already has an open bed request; change it instead")
    encounter._record(BedRequested(level_of_care=level, inpatient_unit=unit, needs=needs), meta)


def change_request(
    encounter: Encounter, level: RequestedLevel, unit: str | None, needs: BedNeeds, reason: str, meta: Meta
) -> None:
    _open_request(encounter, meta, "given a changed bed request")
    encounter._record(BedRequestChanged(level_of_care=level, inpatient_unit=unit, needs=needs, reason=reason), meta)


def assign_bed(encounter: Encounter, unit: str, bed_id: str, meta: Meta) -> None:
    request = _open_request(encounter, meta, "assigned an inpatient bed")
    if request.bed_id == bed_id and request.state in ("assigned", "ready"):
        raise InvalidTransition(f"inpatient bed {bed_id} is already assigned to this request", bed_id=bed_id)
    encounter._record(InpatientBedAssigned(unit=unit, bed_id=bed_id), meta)


def mark_ready(encounter: Encounter, meta: Meta) -> None:
    request = _open_request(encounter, meta, "given a ready bed")
    if request.state == "requested" or request.bed_id is None or request.unit is None:
        raise InvalidTransition("no inpatient bed is assigned to this request yet")
    if request.state == "ready":
        raise InvalidTransition(f"inpatient bed {request.bed_id} is already ready")
    encounter._record(InpatientBedReady(unit=request.unit, bed_id=request.bed_id), meta)


def cancel_request(encounter: Encounter, reason: str, meta: Meta) -> None:
    _open_request(encounter, meta, "have its bed request cancelled")
    encounter._record(BedRequestCancelled(reason=reason), meta)


def cancel_admission(encounter: Encounter, reason: str, meta: Meta) -> None:
    encounter._check_open_move(meta, "have its admission cancelled")
    if not encounter.admit_decided:
        raise InvalidTransition("no admit decision is recorded for this visit")
    encounter._record(AdmissionCancelled(reason=reason), meta)


# --- the inpatient bed --------------------------------------------------------


class InpatientBed(FlowAggregate):
    """One inpatient bed: free, reserved for a boarder, ready, or occupied."""

    TOPIC = "edflow:InpatientBed"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:InpatientBed.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:InpatientBed.Recorded"

    @classmethod
    def first_reserved(cls, aggregate_id, fact: InpatientBedReserved, meta: Meta) -> InpatientBed:
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def reserve(self, encounter_id: str, ready: bool, meta: Meta) -> None:
        back = self.status == "occupied" and self.encounter_id == encounter_id  # a discharge cancelled
        if self.status != "free" and not back:
            whose = "occupied" if self.status == "occupied" else "held for another patient"
            raise BedNotAvailable(f"inpatient bed {self.bed_id} is {whose}", bed_id=self.bed_id, status=self.status)
        self._record(
            InpatientBedReserved(unit=self.unit, bed_id=self.bed_id, encounter_id=encounter_id, ready=ready), meta
        )

    def prepare(self, meta: Meta) -> None:
        if self.status != "reserved":
            raise InvalidTransition(f"inpatient bed {self.bed_id} is {self.status}", status=self.status)
        self._record(InpatientBedPrepared(), meta)

    def occupy(self, encounter_id: str, meta: Meta) -> None:
        if self.status not in ("reserved", "ready") or self.encounter_id != encounter_id:
            raise BedNotAvailable(f"inpatient bed {self.bed_id} is not held for this patient", bed_id=self.bed_id)
        self._record(InpatientBedOccupied(encounter_id=encounter_id), meta)

    def release(self, reason: str, meta: Meta) -> None:
        if self.status == "free":
            raise InvalidTransition(f"inpatient bed {self.bed_id} is already free", status=self.status)
        self._record(InpatientBedReleased(reason=reason), meta)

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case InpatientBedReserved():
                self.unit, self.bed_id = fact.unit, fact.bed_id
                self.encounter_id: str | None = fact.encounter_id
                self.status = "ready" if fact.ready else "reserved"
            case InpatientBedPrepared():
                self.status = "ready"
            case InpatientBedOccupied():
                self.status, self.encounter_id = "occupied", fact.encounter_id
            case InpatientBedReleased():
                self.status, self.encounter_id = "free", None
