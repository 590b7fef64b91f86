"""ADT messages that place a boarder: an A01 or A02 whose PV1-3 names an
inpatient bed completes the visit's bed request (the patient left the ED
for that bed). See MAPPING.md."""

from __future__ import annotations

from services.ed.placement_rules import OPEN
from services.hl7.context import VISIT, MessageContext
from services.hl7.problems import Location

BED = Location("PV1", 3)


def inpatient_target(ctx: MessageContext) -> tuple[str, str] | None:
    """(unit, bed) when PV1-3 names an inpatient bed: the one the visit's
    request was given, or one the facility file lists; None for an ED bed."""
    bed_id = ctx.bed_id(3)
    if bed_id is None or ctx.bed_known(bed_id):
        return None
    if ctx.has_encounter():
        request = ctx.encounter().bed_request
        if request is not None and request.bed_id == bed_id and request.unit is not None:
            return request.unit, bed_id
    unit = ctx.hospital.inpatient_unit_of(ctx.facility_id, bed_id)
    return (unit, bed_id) if unit is not None else None


def complete_request(ctx: MessageContext, target: tuple[str, str], step: int) -> None:
    """Steps `step`..`step + 3`: the admit decision if none (it opens the
    request), a request if none is open, the bed if the request has another,
    then the departure as admitted to that bed."""
    unit, bed_id = target
    encounter_id = ctx.encounter_id()
    if not ctx.encounter().admit_decided:
        ctx.issue(step, ctx.hospital.decide_admit, VISIT, encounter_id=encounter_id, inpatient_unit=unit)
    request = ctx.encounter().bed_request
    if request is None or request.state not in OPEN:
        ctx.issue(step + 1, ctx.hospital.request_bed, VISIT, encounter_id=encounter_id, inpatient_unit=unit)
        request = ctx.encounter().bed_request
    if request is None or request.bed_id != bed_id or request.state not in ("assigned", "ready"):
        ctx.issue(step + 2, ctx.hospital.assign_inpatient_bed, BED, encounter_id=encounter_id, unit=unit, bed_id=bed_id)
    ctx.issue(
        step + 3, ctx.hospital.discharge, VISIT, encounter_id=encounter_id, disposition="admitted", destination=bed_id
    )
