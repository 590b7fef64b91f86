"""ADT messages -> ED commands. Routed on MSH-9 only (EVN-1 is often wrong).

Each handler reads what it needs, checks it, and issues numbered steps; see
MAPPING.md for the field-by-field table.
"""

from __future__ import annotations

from events.catalogue import ArrivalMode, Disposition, LevelOfCare, PatientDetailsUpdated
from services.hl7 import placement
from services.hl7.context import VISIT, MessageContext
from services.hl7.datatypes import person_of
from services.hl7.patients import merge, names_a_visit, update_record
from services.hl7.problems import REQUIRED_MISSING, TABLE_VALUE, UNKNOWN_KEY, ContentError, Location

BED = Location("PV1", 3)
PRIOR_BED = Location("PV1", 6)
ATTENDING = Location("PV1", 7)
DISPOSITION = Location("PV1", 36)
# HL7 table 0430 (mode of arrival), PV2-38.
ARRIVAL_MODES: dict[str, ArrivalMode] = {
    "A": "ambulance",
    "H": "helicopter",
    "C": "walk-in",
    "F": "walk-in",
    "P": "walk-in",
    "O": "other",
}
# HL7 table 0112 (discharge disposition), PV1-36.
DISPOSITIONS: dict[str, Disposition] = {
    "01": "home", "06": "home", "08": "home",
    "02": "transferred", "03": "transferred", "04": "transferred", "05": "transferred",
    "43": "transferred", "50": "transferred", "51": "transferred", "61": "transferred",
    "62": "transferred", "63": "transferred", "64": "transferred", "65": "transferred", "66": "transferred",
    "07": "left-against-advice",
    "09": "admitted",
    "20": "died", "40": "died", "41": "died", "42": "died",
}  # fmt: skip
# Free-text dispositions some senders use instead of table 0112 codes.
DISPOSITION_WORDS: tuple[tuple[str, Disposition], ...] = (
    ("admit", "admitted"), ("expired", "died"), ("died", "died"), ("against", "left-against-advice"),
    ("transfer", "transferred"), ("home", "home"),
)  # fmt: skip
ICU_SERVICES = {"ICU", "MICU", "SICU", "CCU", "NICU", "PICU"}


def _complaint(ctx: MessageContext) -> str:
    return ctx.message.value("PV2", 3, 2) or ctx.message.value("PV2", 3, 1)


def _arrive(ctx: MessageContext) -> None:
    pid = ctx.message.first("PID")
    if pid is None:
        raise ContentError("a PID segment is required to register a visit", Location("PID", 3), REQUIRED_MISSING)
    mode: ArrivalMode = ARRIVAL_MODES.get(ctx.message.value("PV2", 38).upper(), "walk-in")
    ctx.issue(
        1, ctx.hospital.arrive, VISIT,
        visit_number=ctx.visit_number(), patient=person_of(pid, ctx.meta.occurred_at), arrival_mode=mode,
        chief_complaint=_complaint(ctx),
    )  # fmt: skip


def _room(ctx: MessageContext, step: int) -> None:
    """Into the PV1-3 bed when it is one of ours; otherwise the patient waits."""
    bed_id = ctx.bed_id(3)
    if bed_id is None:
        return
    if not ctx.bed_known(bed_id):
        ctx.note(f"bed {bed_id} is not registered; the patient is recorded as waiting", BED, UNKNOWN_KEY, "W")
        return
    if ctx.encounter().bed_id == bed_id:
        return
    try:
        ctx.issue(step, ctx.hospital.assign_bed, BED, encounter_id=ctx.encounter_id(), bed_id=bed_id)
    except ContentError as refused:
        # The arrival is recorded either way; a bed we see as taken or dirty is
        # the floor's to sort out, not a reason for the feed to resend forever.
        ctx.note(f"{refused.problem.text}; the patient is recorded as waiting", BED, refused.problem.code, "W")


def _attending(ctx: MessageContext, step: int) -> None:
    """The PV1-7 attending doctor (its ID, component 1) as the visit's
    provider, when sent and not already the provider."""
    provider_id = ctx.message.value("PV1", 7, 1).strip()
    if not provider_id or ctx.encounter().provider_id == provider_id:
        return
    try:
        ctx.issue(
            step, ctx.hospital.assign_provider, ATTENDING, encounter_id=ctx.encounter_id(), provider_id=provider_id
        )
    except ContentError as refused:
        # Like a bed: the visit is recorded either way; the floor can assign the provider.
        ctx.note(f"{refused.problem.text}; no provider recorded", ATTENDING, refused.problem.code, "W")


def register(ctx: MessageContext) -> None:
    """A04: the patient arrived in the ED."""
    _arrive(ctx)
    _room(ctx, 2)
    _attending(ctx, 3)


def admit(ctx: MessageContext) -> None:
    """A01: admit decided (arriving first if we never heard of the visit).
    Patient class E (PV1-2) means an ED visit sent as A01: arrival only."""
    if not ctx.has_encounter():
        _arrive(ctx)
        _room(ctx, 2)
    _attending(ctx, 9)  # steps 4-7 are the placement's (a PV1-3 inpatient bed)
    if ctx.message.value("PV1", 2).upper() == "E":
        return
    target = placement.inpatient_target(ctx)  # in an inpatient bed: the request is completed
    if target is not None and ctx.encounter().admit_decided:
        placement.complete_request(ctx, target, 4)
        return
    service = ctx.message.value("PV1", 10).upper()
    level: LevelOfCare = "icu" if service in ICU_SERVICES else "observation" if service.startswith("OBS") else "ward"
    ctx.issue(3, ctx.hospital.decide_admit, Location("PV1", 2), encounter_id=ctx.encounter_id(), level_of_care=level,
              inpatient_unit=ctx.message.value("PV1", 10) or None)  # fmt: skip
    if target is not None:
        placement.complete_request(ctx, target, 4)


def _move_to(ctx: MessageContext, field_number: int, where: Location) -> None:
    bed_id = ctx.bed_id(field_number)
    if bed_id is None:
        raise ContentError(f"{where} names no bed (point of care^room^bed)", where, REQUIRED_MISSING)
    if not ctx.bed_known(bed_id):
        raise ContentError(f"bed {bed_id} is not registered at {ctx.facility_id}", where, UNKNOWN_KEY)
    if ctx.encounter().bed_id == bed_id:
        ctx.note(f"patient is already in bed {bed_id}; nothing recorded", where)
        return
    ctx.issue(1, ctx.hospital.assign_bed, where, encounter_id=ctx.encounter_id(), bed_id=bed_id)


def transfer(ctx: MessageContext) -> None:
    """A02: to the ED bed in PV1-3, or to an inpatient bed: the visit leaves the ED for it."""
    target = placement.inpatient_target(ctx)
    if target is not None:
        placement.complete_request(ctx, target, 1)
        return
    _move_to(ctx, 3, BED)


def cancel_transfer(ctx: MessageContext) -> None:
    """A12: back to the prior bed in PV1-6."""
    _move_to(ctx, 6, PRIOR_BED)


def disposition_of(ctx: MessageContext) -> Disposition:
    code, text = ctx.message.value("PV1", 36, 1), ctx.message.value("PV1", 36, 2)
    if not code and not text:
        return "home"
    if code in DISPOSITIONS:
        return DISPOSITIONS[code]
    words = f"{code} {text}".lower()
    for word, disposition in DISPOSITION_WORDS:
        if word in words:
            return disposition
    raise ContentError(f"PV1-36 discharge disposition {code!r} is not in HL7 table 0112", DISPOSITION, TABLE_VALUE)


def discharge(ctx: MessageContext) -> None:
    """A03: the patient left the ED."""
    disposition = disposition_of(ctx)
    ctx.encounter()
    destination = ctx.message.value("PV1", 37) or None
    ctx.issue(
        1,
        ctx.hospital.discharge,
        VISIT,
        encounter_id=ctx.encounter_id(),
        disposition=disposition,
        destination=destination,
    )


def update(ctx: MessageContext) -> None:
    """A08: demographics or complaint changed (the patient's record when no visit is named)."""
    if not names_a_visit(ctx):
        update_record(ctx)
        return
    ctx.encounter()
    pid = ctx.message.first("PID")
    change = PatientDetailsUpdated(
        patient=person_of(pid, ctx.meta.occurred_at) if pid else None, chief_complaint=_complaint(ctx) or None
    )
    ctx.issue(1, ctx.hospital.update_details, Location("PID", 3), encounter_id=ctx.encounter_id(), update=change)
    _attending(ctx, 2)


def _reason(ctx: MessageContext, default: str) -> str:
    return ctx.message.value("EVN", 4, 2) or ctx.message.value("EVN", 4, 1) or default


def cancel_visit(ctx: MessageContext) -> None:
    """A11: the visit was registered in error."""
    ctx.encounter()
    reason = _reason(ctx, f"visit cancelled by {ctx.sender} (A11)")
    ctx.issue(1, ctx.hospital.cancel_arrival, VISIT, encounter_id=ctx.encounter_id(), reason=reason)


def cancel_discharge(ctx: MessageContext) -> None:
    """A13: the discharge was recorded in error."""
    ctx.encounter()
    reason = _reason(ctx, f"discharge cancelled by {ctx.sender} (A13)")
    ctx.issue(1, ctx.hospital.cancel_discharge, VISIT, encounter_id=ctx.encounter_id(), reason=reason)


ROUTES = {
    "A01": admit, "A02": transfer, "A03": discharge, "A04": register, "A08": update,
    "A11": cancel_visit, "A12": cancel_transfer, "A13": cancel_discharge, "A40": merge,
}  # fmt: skip
