"""Appointments and the per-department, per-day schedule counts.

Only the booking names the department and day; later facts (check-in,
no-show, insurance) name just the appointment. The counts are therefore kept
in one per-facility entry, and each appointment contributes to the count of
its department-day according to its state (subtract old, add new), so a
reschedule to another day moves it between days.
"""

from __future__ import annotations

from msgspec.structs import replace

from events.board import AppointmentValue, ScheduleValue
from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentNoShow,
    AppointmentRescheduled,
    Fact,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
)
from events.published import initials_of
from projections.entries import AppointmentEntry, ScheduleBook, initials
from projections.profile import FacilityProfile

COUNTS = ("booked", "checked_in", "no_show", "cancelled", "unverified_insurance")
ACTIVE = ("booked", "checked-in")


def booked(appointment_id: str, fact: AppointmentBooked) -> AppointmentEntry:
    given, family = initials_of(fact.patient)
    return AppointmentEntry(
        id=appointment_id,
        department=fact.department,
        appointment_type=fact.appointment_type,
        start=fact.start,
        end=fact.end,
        provider_id=fact.provider_id,
        given_initial=given or "",
        family_initial=family or "",
        encounter_id=fact.encounter_id,
    )


def apply_fact(entry: AppointmentEntry, fact: Fact) -> AppointmentEntry:
    match fact:
        case AppointmentRescheduled():
            return replace(entry, provider_id=fact.provider_id, start=fact.start, end=fact.end)
        case AppointmentCancelled():
            return replace(entry, status="cancelled")
        case PatientCheckedIn():
            return replace(entry, status="checked-in")
        case AppointmentNoShow():
            return replace(entry, status="noshow")
        case AppointmentCompleted():
            return replace(entry, status="fulfilled")
        case InsuranceVerificationRequested():
            return replace(entry, insurance="requested")
        case InsuranceVerified():
            return replace(entry, insurance="verified")
        case InsuranceVerificationFailed():
            return replace(entry, insurance="failed")
    return entry


def schedule_id(entry: AppointmentEntry, profile: FacilityProfile) -> str:
    return f"{entry.department}|{profile.day_of(entry.start)}"


def _contribution(entry: AppointmentEntry) -> dict[str, int]:
    return {
        "booked": int(entry.status == "booked"),
        "checked_in": int(entry.status in ("checked-in", "fulfilled")),
        "no_show": int(entry.status == "noshow"),
        "cancelled": int(entry.status == "cancelled"),
        "unverified_insurance": int(entry.status in ACTIVE and entry.insurance != "verified"),
    }


def with_appointment(
    book: ScheduleBook, old: AppointmentEntry | None, new: AppointmentEntry | None, profile: FacilityProfile
) -> tuple[ScheduleBook, set[str]]:
    """The counts after an appointment changed, and which schedule ids changed."""
    counts = dict(book.counts)  # only the touched days are copied below
    touched: set[str] = set()
    for entry, sign in ((old, -1), (new, 1)):
        if entry is None:
            continue
        sid = schedule_id(entry, profile)
        if sid not in touched:
            counts[sid] = dict(counts.get(sid) or dict.fromkeys(COUNTS, 0))
        day = counts[sid]
        for name, n in _contribution(entry).items():
            day[name] = day.get(name, 0) + sign * n
        touched.add(sid)
    for sid in touched:
        if not any(counts[sid].values()):
            del counts[sid]
    changed = {sid for sid in touched if counts.get(sid) != book.counts.get(sid)}
    return replace(book, counts=counts), changed


def schedule_value(book: ScheduleBook, sid: str) -> ScheduleValue | None:
    day = book.counts.get(sid)
    if day is None:
        return None
    department, date = sid.rsplit("|", 1)
    return ScheduleValue(
        department=department,
        date=date,
        booked=day.get("booked", 0),
        checked_in=day.get("checked_in", 0),
        no_show=day.get("no_show", 0),
        cancelled=day.get("cancelled", 0),
        unverified_insurance=day.get("unverified_insurance", 0),
    )


def appointment_value(entry: AppointmentEntry | None) -> AppointmentValue | None:
    if entry is None:
        return None
    return AppointmentValue(
        department=entry.department,
        appointment_type=entry.appointment_type,
        start=entry.start.isoformat(),
        end=entry.end.isoformat(),
        status=entry.status,
        insurance=entry.insurance,
        provider_id=entry.provider_id,
        initials=initials(entry.given_initial, entry.family_initial),
    )
