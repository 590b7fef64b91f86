"""ED encounters and beds: the rules of the floor.

Aggregates decide and do no I/O. Each decision method checks the rules against
current state and the time the thing happened (`meta.occurred_at`), then
records one fact. A command spanning two aggregates (assign a bed) is composed
by the application and saved atomically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

from events.catalogue import (
    REQUEST_FACTS,
    AdmissionCancelled,
    AdmitDecided,
    ArrivalCancelled,
    BedAssigned,
    BedBlocked,
    BedCleaned,
    BedCleaningStarted,
    BedOccupied,
    BedRegistered,
    BedReleased,
    BedUnblocked,
    BedVacated,
    DischargeCancelled,
    Disposition,
    Fact,
    LevelOfCare,
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
from services.ed.placement_rules import request_after
from services.errors import (
    BedNotAvailable,
    EncounterClosed,
    Invalid,
    InvalidTransition,
    NotYetArrived,
    PatientAlreadyInBed,
)
from services.recording import FlowAggregate, Meta

if TYPE_CHECKING:
    from services.ed.placement_rules import BedRequest

EncounterStatus = Literal["waiting", "roomed", "finished", "cancelled"]
BedStatus = Literal["available", "occupied", "dirty", "cleaning", "blocked"]


class Encounter(FlowAggregate):
    TOPIC = "edflow:Encounter"
    ventilated = False  # set on arrival; the defaults keep older cached states readable
    # Not annotated: the aggregate's metaclass would take an annotated default for a constructor argument.
    nurse_id = cast("str | None", None)
    bed_request = cast("BedRequest | None", None)  # services.ed.placement_rules

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:Encounter.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:Encounter.Recorded"

    @classmethod
    def arrive(cls, encounter_id, fact: PatientArrived, meta: Meta) -> Encounter:
        return cls._create(cls.Created, id=encounter_id, fact=fact, meta=meta)

    # --- decisions ----------------------------------------------------------

    def triage(self, esi: int, meta: Meta) -> None:
        if not 1 <= esi <= 5:
            raise Invalid("ESI must be 1 to 5", field="esi")
        self._check_open_move(meta, "triaged")
        self._record(PatientTriaged(esi=esi), meta)

    def assign_provider(self, provider_id: str, meta: Meta) -> None:
        self._check_open_move(meta, "assigned a provider")
        self._record(ProviderAssigned(provider_id=provider_id), meta)

    def assign_nurse(self, nurse_id: str, meta: Meta) -> None:
        self._check_open_move(meta, "assigned a nurse")
        if self.nurse_id == nurse_id:
            raise InvalidTransition(f"{nurse_id} is already this patient's nurse")
        self._record(NurseAssigned(nurse_id=nurse_id), meta)

    def move_to_bed(self, bed_id: str, unit: str, meta: Meta) -> None:
        """Into a bed from the waiting room, or a transfer between beds."""
        self._check_open_move(meta, "moved to a bed")
        if self.bed_id == bed_id:
            raise PatientAlreadyInBed(f"patient is already in bed {bed_id}", bed_id=bed_id)
        if self.bed_id is None:
            self._record(BedAssigned(bed_id=bed_id, unit=unit), meta)
        else:
            self._record(PatientTransferred(from_bed_id=self.bed_id, to_bed_id=bed_id, to_unit=unit), meta)

    def vacate_bed(self, meta: Meta) -> str:
        self._check_open_move(meta, "moved out of a bed")
        if self.bed_id is None:
            raise InvalidTransition("patient is not in a bed")
        bed_id = self.bed_id
        self._record(BedVacated(bed_id=bed_id), meta)
        return bed_id

    def decide_admit(self, level_of_care: LevelOfCare, inpatient_unit: str | None, meta: Meta) -> None:
        self._check_open_move(meta, "admitted")
        if self.admit_decided:
            raise InvalidTransition("an admit decision is already recorded for this visit")
        self._record(AdmitDecided(level_of_care=level_of_care, inpatient_unit=inpatient_unit), meta)

    def discharge(self, disposition: Disposition, destination: str | None, meta: Meta) -> str | None:
        """Returns the bed the patient leaves, if any."""
        self._check_open_move(meta, "discharged")
        bed_id = self.bed_id
        self._record(PatientDischarged(disposition=disposition, destination=destination), meta)
        return bed_id

    def leave_without_being_seen(self, meta: Meta) -> str | None:
        self._check_open_move(meta, "marked left without being seen")
        if self.provider_id is not None:
            raise InvalidTransition("patient was already seen by a provider; discharge instead")
        bed_id = self.bed_id
        self._record(PatientLeftWithoutBeingSeen(), meta)
        return bed_id

    def start_ventilation(self, meta: Meta) -> None:
        self._check_open_move(meta, "put on a ventilator")
        if self.ventilated:
            raise InvalidTransition("patient is already on a ventilator")
        self._record(VentilationStarted(), meta)

    def stop_ventilation(self, meta: Meta) -> None:
        self._check_open_move(meta, "taken off a ventilator")
        if not self.ventilated:
            raise InvalidTransition("patient is not on a ventilator")
        self._record(VentilationStopped(), meta)

    # --- corrections --------------------------------------------------------

    def cancel_arrival(self, reason: str, meta: Meta) -> str | None:
        if self.status == "cancelled":
            raise InvalidTransition("arrival is already cancelled")
        bed_id = self.bed_id
        self._record(ArrivalCancelled(reason=reason), meta)
        return bed_id

    def cancel_discharge(self, reason: str, meta: Meta) -> None:
        if self.status != "finished" or self.disposition is None:
            raise InvalidTransition("only a discharged visit can have its discharge cancelled")
        self._record(DischargeCancelled(reason=reason), meta)

    def update_details(self, update: PatientDetailsUpdated, meta: Meta) -> None:
        if self.status == "cancelled":
            raise EncounterClosed("arrival was cancelled; nothing to update")
        self._record(update, meta)

    # --- checks -------------------------------------------------------------

    def _check_open_move(self, meta: Meta, what: str) -> None:
        if self.status in ("finished", "cancelled"):
            raise EncounterClosed(
                f"visit {self.visit_number} is {self.status}: it can no longer be {what}; "
                "only corrections are accepted",
                status=self.status,
            )
        if meta.occurred_at < self.arrived_at:
            raise NotYetArrived(
                f"cannot be {what} at {meta.occurred_at.isoformat()}, before arrival at {self.arrived_at.isoformat()}",
                arrived_at=self.arrived_at.isoformat(),
            )

    # --- state --------------------------------------------------------------

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case PatientArrived():
                self.visit_number, self.status, self.arrived_at = fact.visit_number, "waiting", meta.occurred_at
                self.esi = self.provider_id = self.nurse_id = self.bed_id = self.disposition = None
                self.admit_decided = self.ventilated = False
            case PatientTriaged():
                self.esi = fact.esi
            case ProviderAssigned():
                self.provider_id = fact.provider_id
            case NurseAssigned():
                self.nurse_id = fact.nurse_id
            case BedAssigned():
                self.bed_id, self.status = fact.bed_id, "roomed"
            case PatientTransferred():
                self.bed_id, self.status = fact.to_bed_id, "roomed"
            case BedVacated():
                self.bed_id, self.status = None, "waiting"
            case AdmitDecided():
                self.admit_decided = True
            case PatientDischarged():
                self.bed_id, self.status, self.disposition = None, "finished", fact.disposition
            case PatientLeftWithoutBeingSeen():
                self.bed_id, self.status = None, "finished"
            case ArrivalCancelled():
                self.bed_id, self.status = None, "cancelled"
            case DischargeCancelled():
                self.status, self.disposition = "waiting", None
            case VentilationStarted():
                self.ventilated = True
            case VentilationStopped():
                self.ventilated = False
            case AdmissionCancelled():
                self.admit_decided = False
        if isinstance(fact, (*REQUEST_FACTS, *_CLOSING)):
            self.bed_request = request_after(self.bed_request, fact)


# Facts that close or reopen a visit, and so its bed request.
_CLOSING = (PatientDischarged, PatientLeftWithoutBeingSeen, ArrivalCancelled, DischargeCancelled)


class Bed(FlowAggregate):
    TOPIC = "edflow:Bed"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:Bed.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:Bed.Recorded"

    @classmethod
    def register(cls, aggregate_id, fact: BedRegistered, meta: Meta) -> Bed:
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def occupy(self, encounter_id: str, meta: Meta) -> None:
        if self.status != "available":
            raise BedNotAvailable(self._why_not_available(), bed_id=self.bed_id, status=self.status)
        self._record(BedOccupied(encounter_id=encounter_id), meta)

    def release(self, encounter_id: str, meta: Meta) -> None:
        if self.status != "occupied" or self.encounter_id != encounter_id:
            raise InvalidTransition(f"bed {self.bed_id} is not held by that visit", bed_id=self.bed_id)
        self._record(BedReleased(encounter_id=encounter_id), meta)

    def start_cleaning(self, meta: Meta) -> None:
        if self.status != "dirty":
            raise InvalidTransition(
                f"bed {self.bed_id} is {self.status}; only a dirty bed can be cleaned", status=self.status
            )
        self._record(BedCleaningStarted(), meta)

    def finish_cleaning(self, meta: Meta) -> None:
        if self.status not in ("dirty", "cleaning"):
            raise InvalidTransition(
                f"bed {self.bed_id} is {self.status}; only a dirty bed can be cleaned", status=self.status
            )
        self._record(BedCleaned(), meta)

    def block(self, reason: str, meta: Meta) -> None:
        if self.status == "occupied":
            raise BedNotAvailable(
                f"bed {self.bed_id} is occupied; move the patient before blocking it", status=self.status
            )
        if self.status == "blocked":
            raise InvalidTransition(f"bed {self.bed_id} is already blocked", status=self.status)
        self._record(BedBlocked(reason=reason), meta)

    def unblock(self, meta: Meta) -> None:
        if self.status != "blocked":
            raise InvalidTransition(f"bed {self.bed_id} is not blocked", status=self.status)
        self._record(BedUnblocked(), meta)

    def _why_not_available(self) -> str:
        if self.status == "occupied":
            return f"bed {self.bed_id} is occupied by another patient"
        if self.status == "blocked":
            return f"bed {self.bed_id} is blocked"
        return f"bed {self.bed_id} is {self.status} and must be cleaned before use"

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case BedRegistered():
                self.bed_id, self.unit = fact.bed_id, fact.unit
                self.status, self.encounter_id, self.status_before_block = "available", None, "available"
            case BedOccupied():
                self.status, self.encounter_id = "occupied", fact.encounter_id
            case BedReleased():
                self.status, self.encounter_id = "dirty", None
            case BedCleaningStarted():
                self.status = "cleaning"
            case BedCleaned():
                self.status = "available"
            case BedBlocked():
                self.status_before_block, self.status = self.status, "blocked"
            case BedUnblocked():
                self.status = self.status_before_block
