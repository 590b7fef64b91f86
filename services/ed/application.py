"""ED commands: arrival to departure, and the beds the patients move through."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Literal, Unpack

from base.input_bounds import check_birth_date
from events.catalogue import (
    NO_NEEDS,
    ArrivalMode,
    BedNeeds,
    BedRegistered,
    BedType,
    Disposition,
    LevelOfCare,
    PatientArrived,
    PatientDetailsUpdated,
    Person,
    RequestedLevel,
)
from services.application import Idempotency, Outcome, derived_id
from services.bounds import refused_as_invalid
from services.ed import placement_rules
from services.ed.domainmodel import Bed, Encounter
from services.ed.placement import PlacementCommands
from services.ed.placement_rules import InpatientBed, bed_holding
from services.errors import AlreadyExists, InvalidTransition, NotFound
from services.recording import Meta


def encounter_id_for(facility_id: str, visit_number: str) -> uuid.UUID:
    return derived_id("encounter", facility_id, visit_number)


def bed_aggregate_id(facility_id: str, bed_id: str) -> uuid.UUID:
    return derived_id("bed", facility_id, bed_id)


class EDCommands(PlacementCommands):
    # --- beds ---------------------------------------------------------------

    def register_bed(
        self,
        meta: Meta,
        bed_id: str,
        unit: str,
        bed_type: BedType = "acute",
        label: str = "",
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        aggregate_id = bed_aggregate_id(meta.facility_id, bed_id)

        def decide():
            if self.find(Bed, aggregate_id) is not None:
                raise AlreadyExists(f"bed {bed_id} is already registered", bed_id=bed_id)
            fact = BedRegistered(bed_id=bed_id, unit=unit, bed_type=bed_type, label=label or bed_id)
            return bed_id, [Bed.register(aggregate_id, fact, meta)]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def bed(self, facility_id: str, bed_id: str) -> Bed:
        return self.load(Bed, bed_aggregate_id(facility_id, bed_id), facility_id, f"bed {bed_id}")

    def _bed_command(self, meta: Meta, bed_id: str, act: Callable[[Bed], None], **idem: Unpack[Idempotency]) -> Outcome:
        def decide():
            bed = self.bed(meta.facility_id, bed_id)
            act(bed)
            return bed_id, [bed]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def start_cleaning(self, meta: Meta, bed_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._bed_command(meta, bed_id, lambda bed: bed.start_cleaning(meta), **idem)

    def finish_cleaning(self, meta: Meta, bed_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._bed_command(meta, bed_id, lambda bed: bed.finish_cleaning(meta), **idem)

    def block_bed(self, meta: Meta, bed_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._bed_command(meta, bed_id, lambda bed: bed.block(reason, meta), **idem)

    def unblock_bed(self, meta: Meta, bed_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._bed_command(meta, bed_id, lambda bed: bed.unblock(meta), **idem)

    def release_bed(self, meta: Meta, bed_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        """The patient in this bed leaves it (stays in the department)."""

        def decide():
            bed = self.bed(meta.facility_id, bed_id)
            encounter = self._occupant(bed)
            encounter.vacate_bed(meta)
            bed.release(str(encounter.id), meta)
            return bed_id, [encounter, bed]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _occupant(self, bed: Bed) -> Encounter:
        if bed.encounter_id is None:
            raise InvalidTransition(f"bed {bed.bed_id} is {bed.status}, not occupied", status=bed.status)
        return self.load(Encounter, uuid.UUID(bed.encounter_id), bed.facility_id, "visit")

    # --- encounters ---------------------------------------------------------

    def encounter(self, facility_id: str, encounter_id: str | uuid.UUID) -> Encounter:
        try:
            aggregate_id = encounter_id if isinstance(encounter_id, uuid.UUID) else uuid.UUID(encounter_id)
        except ValueError:
            raise NotFound(f"visit {encounter_id} not found") from None
        return self.load(Encounter, aggregate_id, facility_id, f"visit {encounter_id}")

    def arrive(
        self,
        meta: Meta,
        visit_number: str,
        patient: Person,
        arrival_mode: ArrivalMode = "walk-in",
        chief_complaint: str = "",
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        aggregate_id = encounter_id_for(meta.facility_id, visit_number)

        def decide():
            with refused_as_invalid("patient.birth_date"):
                check_birth_date(patient.birth_date, meta.occurred_at)
            if self.find(Encounter, aggregate_id) is not None:
                raise AlreadyExists(f"visit {visit_number} is already registered", visit_number=visit_number)
            fact = PatientArrived(
                visit_number=visit_number, patient=patient, arrival_mode=arrival_mode, chief_complaint=chief_complaint
            )
            return str(aggregate_id), [Encounter.arrive(aggregate_id, fact, meta)]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _encounter_command(
        self,
        meta: Meta,
        encounter_id: str,
        act: Callable[[Encounter], str | None],
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """One encounter decision; if the patient leaves a bed (`act` returns
        its id), the bed is released in the same save, and so is what the
        visit's bed request now asks of an inpatient bed."""

        def decide():
            encounter = self.encounter(meta.facility_id, encounter_id)
            holding = bed_holding(encounter.bed_request)
            left_bed = act(encounter)
            touched: list[Encounter | Bed | InpatientBed] = [encounter]
            touched.extend(self.settle_inpatient_bed(encounter, holding, meta))
            if isinstance(left_bed, str):
                bed = self.bed(meta.facility_id, left_bed)
                bed.release(str(encounter.id), meta)
                touched.append(bed)
            return str(encounter.id), touched

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def triage(self, meta: Meta, encounter_id: str, esi: int, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.triage(esi, meta), **idem)

    def assign_provider(self, meta: Meta, encounter_id: str, provider_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.assign_provider(provider_id, meta), **idem)

    def assign_nurse(self, meta: Meta, encounter_id: str, nurse_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.assign_nurse(nurse_id, meta), **idem)

    def ventilation(
        self, meta: Meta, encounter_id: str, action: Literal["start", "stop"], **idem: Unpack[Idempotency]
    ) -> Outcome:
        """Start or stop ventilation; departure ends it without a stop."""

        def act(e: Encounter) -> None:
            return e.start_ventilation(meta) if action == "start" else e.stop_ventilation(meta)

        return self._encounter_command(meta, encounter_id, act, **idem)

    def decide_admit(
        self,
        meta: Meta,
        encounter_id: str,
        level_of_care: LevelOfCare = "ward",
        inpatient_unit: str | None = None,
        requested_level: RequestedLevel | None = None,
        needs: BedNeeds = NO_NEEDS,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """The admit decision, and the bed request it opens for the receiving
        service (`requested_level` when it differs from the decision's, e.g. step-down)."""

        def act(e: Encounter) -> None:
            e.decide_admit(level_of_care, inpatient_unit, meta)
            placement_rules.open_request(e, requested_level or level_of_care, inpatient_unit, needs, meta)

        return self._encounter_command(meta, encounter_id, act, **idem)

    def discharge(
        self,
        meta: Meta,
        encounter_id: str,
        disposition: Disposition,
        destination: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        return self._encounter_command(
            meta, encounter_id, lambda e: e.discharge(disposition, destination, meta), **idem
        )

    def leave_without_being_seen(self, meta: Meta, encounter_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.leave_without_being_seen(meta), **idem)

    def cancel_arrival(self, meta: Meta, encounter_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.cancel_arrival(reason, meta), **idem)

    def cancel_discharge(self, meta: Meta, encounter_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: e.cancel_discharge(reason, meta), **idem)

    def update_details(
        self, meta: Meta, encounter_id: str, update: PatientDetailsUpdated, **idem: Unpack[Idempotency]
    ) -> Outcome:
        with refused_as_invalid("patient.birth_date"):
            check_birth_date(update.patient.birth_date if update.patient else None, meta.occurred_at)
        return self._encounter_command(meta, encounter_id, lambda e: e.update_details(update, meta), **idem)

    def assign_bed(self, meta: Meta, encounter_id: str, bed_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        """Into a bed, or from one bed to another: every touched aggregate in one save."""

        def decide():
            encounter = self.encounter(meta.facility_id, encounter_id)
            bed = self.bed(meta.facility_id, bed_id)
            previous_bed_id = encounter.bed_id
            encounter.move_to_bed(bed_id, bed.unit, meta)
            bed.occupy(str(encounter.id), meta)
            touched: list[Encounter | Bed] = [encounter, bed]
            if previous_bed_id is not None:
                previous = self.bed(meta.facility_id, previous_bed_id)
                previous.release(str(encounter.id), meta)
                touched.append(previous)
            return str(encounter.id), touched

        return self.run(decide, facility_id=meta.facility_id, **idem)
