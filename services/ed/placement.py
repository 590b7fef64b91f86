"""Placement commands: bed requests and the inpatient beds they are given.

Every visit command settles the inpatient bed its request asks for in the
same save (`settle_inpatient_bed`): assigning reserves the bed, marking it
ready prepares it, the visit leaving as admitted occupies it, and
cancelling the request, withdrawing the admission or any other departure
frees it. Two requests racing for one bed both try to write its record: the
loser decides again, finds the bed taken and gets BedNotAvailable (409).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Unpack

from base.facility import FacilityError, load_facility
from events.catalogue import NO_NEEDS, BedNeeds, InpatientBedReserved, RequestedLevel
from services.application import HospitalBase, Idempotency, Outcome, derived_id
from services.ed import placement_rules as rules
from services.ed.domainmodel import Encounter
from services.ed.placement_rules import Holding, InpatientBed, bed_holding
from services.errors import Invalid, InvalidTransition, NotFound
from services.recording import Meta


def inpatient_bed_aggregate_id(facility_id: str, bed_id: str) -> uuid.UUID:
    return derived_id("inpatient-bed", facility_id, bed_id)


@lru_cache(maxsize=8)
def _inpatient_directory(path: Path) -> tuple[str, dict[str, str]]:
    """(facility id, bed id -> unit) of the facility file's inpatient units."""
    try:
        facility = load_facility(path)
    except FacilityError:
        return "", {}
    return facility.id, {bed: unit.id for unit in facility.inpatient_units for bed in unit.bed_ids()}


class InpatientBeds(HospitalBase):
    def inpatient_bed(self, facility_id: str, bed_id: str) -> InpatientBed | None:
        return self.find(InpatientBed, inpatient_bed_aggregate_id(facility_id, bed_id))

    def inpatient_unit_of(self, facility_id: str, bed_id: str) -> str | None:
        """The unit of an inpatient bed the facility file lists; None for any other."""
        listed_for, beds = _inpatient_directory(self.settings.facility_config)
        return beds.get(bed_id) if listed_for == facility_id else None

    def check_inpatient_bed(self, facility_id: str, unit: str, bed_id: str) -> None:
        """A facility whose file lists inpatient units takes only their beds."""
        listed_for, beds = _inpatient_directory(self.settings.facility_config)
        if listed_for != facility_id or not beds:
            return
        if bed_id not in beds:
            raise NotFound(f"inpatient bed {bed_id} not found", bed_id=bed_id)
        if beds[bed_id] != unit:
            raise Invalid(f"inpatient bed {bed_id} is in unit {beds[bed_id]}, not {unit}", field="unit")

    def settle_inpatient_bed(self, encounter: Encounter, before: Holding | None, meta: Meta) -> list[InpatientBed]:
        """The inpatient bed records that change because the visit's request
        went from `before` to what it is now (to save with the visit)."""
        after = bed_holding(encounter.bed_request)
        if before == after:
            return []
        visit, touched = str(encounter.id), []
        if before is not None and (after is None or after.bed_id != before.bed_id):
            old = self.inpatient_bed(meta.facility_id, before.bed_id)
            if old is not None and old.status != "free" and old.encounter_id == visit:
                old.release(_why_released(encounter, after), meta)
                touched.append(old)
        if after is None:
            return touched
        bed = self.inpatient_bed(meta.facility_id, after.bed_id)
        if before is None or before.bed_id != after.bed_id or bed is None or bed.status == "free":
            if bed is None:
                fact = InpatientBedReserved(unit=after.unit, bed_id=after.bed_id, encounter_id=visit, ready=after.ready)
                bed = InpatientBed.first_reserved(
                    inpatient_bed_aggregate_id(meta.facility_id, after.bed_id), fact, meta
                )
            else:
                bed.reserve(visit, after.ready, meta)
            if after.occupied:
                bed.occupy(visit, meta)
        elif after.occupied and not before.occupied:
            bed.occupy(visit, meta)
        elif before.occupied and not after.occupied:
            bed.reserve(visit, after.ready, meta)
        elif after.ready and not before.ready:
            bed.prepare(meta)
        touched.append(bed)
        return touched


def _why_released(encounter: Encounter, after: Holding | None) -> str:
    if after is not None:
        return "another bed was assigned to the request"
    request = encounter.bed_request
    return "bed request closed" if request is None or request.state != "requested" else "request reopened"


class PlacementCommands(InpatientBeds):
    """Bed request commands; each is a visit command (`_encounter_command`)."""

    def _encounter_command(
        self,
        meta: Meta,
        encounter_id: str,
        act: Callable[[Encounter], str | None],
        **idem: Unpack[Idempotency],
    ) -> Outcome:  # pragma: no cover - EDCommands provides it
        raise NotImplementedError

    def request_bed(
        self,
        meta: Meta,
        encounter_id: str,
        level_of_care: RequestedLevel = "ward",
        inpatient_unit: str | None = None,
        needs: BedNeeds = NO_NEEDS,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """Open a bed request on a visit with an admit decision (and none open)."""
        return self._encounter_command(
            meta, encounter_id, lambda e: rules.open_request(e, level_of_care, inpatient_unit, needs, meta), **idem
        )

    def change_bed_request(
        self,
        meta: Meta,
        encounter_id: str,
        level_of_care: RequestedLevel,
        inpatient_unit: str | None,
        needs: BedNeeds,
        reason: str,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        def act(e: Encounter) -> None:
            rules.change_request(e, level_of_care, inpatient_unit, needs, reason, meta)

        return self._encounter_command(meta, encounter_id, act, **idem)

    def assign_inpatient_bed(
        self, meta: Meta, encounter_id: str, unit: str, bed_id: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        """Give the request this bed (any bed it had is freed in the same save)."""
        self.check_inpatient_bed(meta.facility_id, unit, bed_id)
        return self._encounter_command(meta, encounter_id, lambda e: rules.assign_bed(e, unit, bed_id, meta), **idem)

    def inpatient_bed_ready(self, meta: Meta, encounter_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: rules.mark_ready(e, meta), **idem)

    def cancel_bed_request(self, meta: Meta, encounter_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        return self._encounter_command(meta, encounter_id, lambda e: rules.cancel_request(e, reason, meta), **idem)

    def cancel_admission(self, meta: Meta, encounter_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        """Withdraw the admit decision; its open request closes and its bed is freed."""
        return self._encounter_command(meta, encounter_id, lambda e: rules.cancel_admission(e, reason, meta), **idem)

    def release_inpatient_bed(self, meta: Meta, bed_id: str, reason: str, **idem: Unpack[Idempotency]) -> Outcome:
        """The patient in this inpatient bed left it (an inpatient discharge or move).
        A bed only held for a boarder is freed through its request instead."""

        def decide():
            bed = self.inpatient_bed(meta.facility_id, bed_id)
            if bed is None:
                raise NotFound(f"inpatient bed {bed_id} has no patient on record", bed_id=bed_id)
            if bed.status != "occupied":
                raise InvalidTransition(
                    f"inpatient bed {bed_id} is {bed.status}; "
                    "a held bed is freed by cancelling or changing its request",
                    status=bed.status,
                )
            bed.release(reason, meta)
            return bed_id, [bed]

        return self.run(decide, facility_id=meta.facility_id, **idem)
