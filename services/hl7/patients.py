"""ADT messages about the patient, not a visit: an A08 that names no visit
updates the patient index's record (PID demographics, PID-13 phone and
e-mail), and an A40 merges the record of MRG-1 into the record of PID-3.
See MAPPING.md."""

from __future__ import annotations

from events.catalogue import Contact
from services.hl7.context import MessageContext
from services.hl7.datatypes import mrn_of, person_of
from services.hl7.parse import Segment
from services.hl7.problems import REQUIRED_MISSING, UNKNOWN_KEY, ContentError, Location

MRN = Location("PID", 3)
PRIOR_MRN = Location("MRG", 1)


def names_a_visit(ctx: MessageContext) -> bool:
    return bool(ctx.message.value("PV1", 19) or ctx.message.value("PID", 18))


def _reason(ctx: MessageContext, default: str) -> str:
    return ctx.message.value("EVN", 4, 2) or ctx.message.value("EVN", 4, 1) or default


def _pid(ctx: MessageContext) -> tuple[Segment, str]:
    pid = ctx.message.first("PID")
    mrn = mrn_of(pid) if pid is not None else None
    if pid is None or not mrn:
        raise ContentError("PID-3 patient identifier (MRN) is required", MRN, REQUIRED_MISSING)
    return pid, mrn


def _known(ctx: MessageContext, mrn: str, where: Location) -> None:
    if mrn not in ctx.hospital.patient_index().facility(ctx.facility_id).entries:
        raise ContentError(f"patient {mrn} is not known at {ctx.facility_id}", where, UNKNOWN_KEY)


def _contact(pid: Segment) -> Contact | None:
    phone = pid.get(13, 1) or pid.get(13, 12)
    email = pid.get(13, 4)
    return Contact(phone=phone or None, email=email or None) if phone or email else None


def update_record(ctx: MessageContext) -> None:
    """A08 with no PV1-19/PID-18: the record's details changed."""
    pid, mrn = _pid(ctx)
    _known(ctx, mrn, MRN)
    person = person_of(pid, ctx.meta.occurred_at)
    reason = _reason(ctx, f"details updated by {ctx.sender} (A08)")
    ctx.issue(1, ctx.hospital.update_patient, MRN, mrn=mrn, reason=reason, patient=person, contact=_contact(pid))


def merge(ctx: MessageContext) -> None:
    """A40: the record of MRG-1 (prior MRN) merges into the record of PID-3."""
    _, surviving = _pid(ctx)
    mrg = ctx.message.first("MRG")
    merged = mrg.get(1, 1) if mrg is not None else ""
    if not merged:
        raise ContentError("MRG-1 prior patient identifier (the MRN merged away) is required", PRIOR_MRN,
                           REQUIRED_MISSING)  # fmt: skip
    _known(ctx, surviving, MRN)
    _known(ctx, merged, PRIOR_MRN)
    reason = _reason(ctx, f"merged by {ctx.sender} (A40)")
    ctx.issue(1, ctx.hospital.merge_patients, PRIOR_MRN, merged_mrn=merged, surviving_mrn=surviving, reason=reason)
