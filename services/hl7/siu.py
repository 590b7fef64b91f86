"""SIU scheduling messages -> appointment commands (see MAPPING.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from base.input_bounds import OutOfBounds, plus
from events.catalogue import AppointmentType, Coverage
from services.ed.domainmodel import Encounter
from services.errors import NotFound
from services.hl7.context import MessageContext
from services.hl7.datatypes import parse_date, parse_dtm, person_of
from services.hl7.parse import Segment
from services.hl7.problems import DATA_TYPE, REQUIRED_MISSING, UNKNOWN_KEY, ContentError, Location

APPOINTMENT = Location("SCH", 2)
TIMING = Location("SCH", 11)
UNITS = {"min": 1, "m": 1, "mn": 1, "minute": 1, "minutes": 1, "s": 1 / 60, "sec": 1 / 60, "h": 60, "hr": 60,
         "hour": 60, "hours": 60, "d": 1440, "day": 1440}  # fmt: skip
# Resource segments carrying (start, duration, units) field numbers.
RESOURCE_TIMING = (("AIS", 4, 7, 8), ("AIL", 6, 9, 10), ("AIP", 6, 9, 10), ("AIG", 8, 11, 12))


def appointment_id(ctx: MessageContext) -> str:
    """SCH-2 filler appointment id (the scheduling system's), else SCH-1 placer id."""
    value = ctx.message.value("SCH", 2) or ctx.message.value("SCH", 1)
    if not value:
        raise ContentError("SCH-1 or SCH-2 appointment id is required", Location("SCH", 1), REQUIRED_MISSING)
    return value


def _duration(segment: Segment, field: int, unit_field: int) -> timedelta | None:
    amount, unit = segment.get(field), segment.get(unit_field).lower() or "min"
    if not amount:
        return None
    where = Location(segment.name, unit_field)
    try:
        return timedelta(minutes=float(amount) * UNITS[unit])
    except (ValueError, KeyError, OverflowError):
        raise ContentError(
            f"{segment.name} duration {amount} {unit} is not a duration we can read", where, DATA_TYPE
        ) from None


def timing(ctx: MessageContext) -> tuple[datetime, datetime]:
    """The appointment's start and end (see `_timing`), refused naming the
    field they came from when outside the time window or shorter than a slot."""
    start, end, (start_at, end_at) = _timing(ctx)
    try:
        ctx.options.window.check_appointment(start, end)
    except OutOfBounds as refused:
        where = start_at if refused.field == "start" else end_at
        raise ContentError(f"{where}: {refused}", where, DATA_TYPE) from None
    return start, end


def _timing(ctx: MessageContext) -> tuple[datetime, datetime, tuple[Location, Location]]:
    """TQ1-7/8, else a resource segment's start + duration, else SCH-11 start/end."""
    msg, tz = ctx.message, ctx.tz
    start = parse_dtm(msg.value("TQ1", 7), tz, Location("TQ1", 7))
    end = parse_dtm(msg.value("TQ1", 8), tz, Location("TQ1", 8))
    if start and end:
        return start, end, (Location("TQ1", 7), Location("TQ1", 8))
    for name, start_field, duration_field, unit_field in RESOURCE_TIMING:
        for segment in msg.all(name):
            start = parse_dtm(segment.get(start_field), tz, Location(name, start_field))
            length = _duration(segment, duration_field, unit_field)
            if start and length:
                return start, plus(start, length), (Location(name, start_field), Location(name, duration_field))
    start = parse_dtm(msg.value("SCH", 11, 4), tz, TIMING)
    end = parse_dtm(msg.value("SCH", 11, 5), tz, TIMING)
    if start and end:
        return start, end, (TIMING, TIMING)
    raise ContentError("no appointment time: TQ1-7/8, AIS/AIL/AIP start and duration, SCH-11 are empty", TIMING,
                       REQUIRED_MISSING)  # fmt: skip


def provider_id(ctx: MessageContext) -> str:
    value = ctx.message.value("AIP", 3) or ctx.message.value("SCH", 16)
    if not value:
        raise ContentError("AIP-3 personnel resource (the provider) is required", Location("AIP", 3), REQUIRED_MISSING)
    return value


def department(ctx: MessageContext) -> str:
    value = ctx.message.value("AIL", 3) or ctx.message.value("PV1", 3)
    if not value:
        raise ContentError("AIL-3 location resource (the department) is required", Location("AIL", 3), REQUIRED_MISSING)
    return value


def room_of(ctx: MessageContext) -> str | None:
    """AIL-3 point of care ^ room, as "<point of care>-<room>"; None without a room."""
    room = ctx.message.value("AIL", 3, 2)
    return "-".join(p for p in (ctx.message.value("AIL", 3, 1), room) if p) if room else None


def appointment_type(ctx: MessageContext) -> AppointmentType:
    reason = ctx.message.value("SCH", 7).upper()
    service = (ctx.message.value("AIS", 3, 2) or ctx.message.value("AIS", 3, 1)).lower()
    if "FOLLOW" in reason:
        return "ed-follow-up"
    if "surg" in service:
        return "surgical-case"
    return "outpatient-procedure" if service else "outpatient-visit"


def coverage(ctx: MessageContext) -> Coverage | None:
    """The primary insurance (first IN1), or None when the message has none."""
    in1 = ctx.message.first("IN1")
    if in1 is None:
        return None
    payer = in1.get(4) or in1.get(3)
    member = in1.get(36) or in1.get(49) or in1.get(8)
    if not payer:
        raise ContentError(
            "IN1-4 insurance company name (or IN1-3 id) is required", Location("IN1", 4), REQUIRED_MISSING
        )
    if not member:
        raise ContentError("IN1-36 policy number (or IN1-49 insured's id) is required", Location("IN1", 36),
                           REQUIRED_MISSING)  # fmt: skip
    return Coverage(
        payer=payer, member_id=member, plan=in1.get(2, 2) or in1.get(2),
        effective_from=parse_date(in1.get(12), Location("IN1", 12)),
        effective_to=parse_date(in1.get(13), Location("IN1", 13)),
    )  # fmt: skip


def _linked_encounter(ctx: MessageContext) -> str | None:
    """An ED follow-up names the ED visit in PV1-19; link it when we know it."""
    if not ctx.message.value("PV1", 19):
        return None
    found = ctx.hospital.find(Encounter, uuid.UUID(ctx.encounter_id()))
    return str(found.id) if found is not None and found.facility_id == ctx.facility_id else None


def book(ctx: MessageContext) -> None:
    """S12: a new appointment, then its insurance sent for verification."""
    start, end = timing(ctx)
    insurance = coverage(ctx)  # checked before anything is recorded
    booked = appointment_id(ctx)
    ctx.issue(
        1, ctx.hospital.book, APPOINTMENT,
        patient=person_of(ctx.message.first("PID"), ctx.meta.occurred_at), provider_id=provider_id(ctx),
        department=department(ctx),
        appointment_type=appointment_type(ctx), start=start, end=end, appointment_id=booked,
        reason=ctx.message.value("AIS", 3, 2) or ctx.message.value("SCH", 7, 2), encounter_id=_linked_encounter(ctx),
        room_id=room_of(ctx),
    )  # fmt: skip
    if insurance is not None:
        ctx.issue(2, ctx.hospital.request_verification, Location("IN1", 36), appointment_id=booked, coverage=insurance)


def reschedule(ctx: MessageContext) -> None:
    """S13/S14: a new time or provider is a reschedule, a new AIL-3 room a
    modification; other changes (notes, equipment) have no event."""
    start, end = timing(ctx)
    booked = appointment_id(ctx)
    provider = ctx.message.value("AIP", 3) or None
    room = room_of(ctx)
    current = _appointment(ctx, booked)
    moved = (current.start, current.end) != (start, end) or provider not in (None, current.provider_id)
    if moved:
        ctx.issue(1, ctx.hospital.reschedule, TIMING, appointment_id=booked, start=start, end=end, provider_id=provider)
    if room is not None and room != current.room_id:
        ctx.issue(2, ctx.hospital.modify_appointment, Location("AIL", 3), appointment_id=booked, room_id=room)
    elif not moved:
        ctx.note("time, provider and room unchanged; nothing recorded", TIMING)


def cancel(ctx: MessageContext) -> None:
    """S15."""
    booked = appointment_id(ctx)
    _appointment(ctx, booked)
    reason = ctx.message.value("SCH", 6, 2) or ctx.message.value("SCH", 6, 1) or f"cancelled by {ctx.sender} (S15)"
    ctx.issue(1, ctx.hospital.cancel_appointment, APPOINTMENT, appointment_id=booked, reason=reason)


def no_show(ctx: MessageContext) -> None:
    """S26."""
    booked = appointment_id(ctx)
    _appointment(ctx, booked)
    ctx.issue(1, ctx.hospital.mark_no_show, APPOINTMENT, appointment_id=booked)


def _appointment(ctx: MessageContext, booked: str):
    try:
        return ctx.hospital.appointment(ctx.facility_id, booked)
    except NotFound:
        raise ContentError(
            f"appointment {booked} is not known at {ctx.facility_id}", APPOINTMENT, UNKNOWN_KEY
        ) from None


ROUTES = {"S12": book, "S13": reschedule, "S14": reschedule, "S15": cancel, "S26": no_show}
