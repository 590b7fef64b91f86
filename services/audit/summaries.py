"""One short line a person reads for each event of a visit or an appointment
("triaged ESI 3", "to bed A2 (Acute)", "booked outpatient-visit with dr-lee …").
No names, MRN or birth date: a correction of those is shown as its changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.catalogue import (
    AdmitDecided,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentModified,
    AppointmentRescheduled,
    ArrivalCancelled,
    BedAssigned,
    BedOccupied,
    BedReleased,
    BedVacated,
    DischargeCancelled,
    InsuranceRecheckNeeded,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    NurseAssigned,
    PatientArrived,
    PatientDischarged,
    PatientRecordsMerged,
    PatientRecordUpdated,
    PatientTransferred,
    PatientTriaged,
    PreOpItemCompleted,
    ProviderAssigned,
    ProviderTimeReleased,
    ProviderTimeReserved,
    ReminderSent,
    RoomTimeReleased,
    RoomTimeReserved,
)
from services.audit.placement_summaries import placement_summary

# Events whose whole meaning is their type.
PLAIN = {
    "PatientLeftWithoutBeingSeen": "left without being seen",
    "PatientCheckedIn": "checked in",
    "AppointmentNoShow": "did not come (no-show)",
    "AppointmentCompleted": "appointment completed",
    "AppointmentConfirmed": "confirmed for the day",
    "PatientDetailsUpdated": "details restated, nothing changed",
    "VentilationStarted": "put on a ventilator",
    "VentilationStopped": "taken off the ventilator",
}


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def summary(fact: Any, bed: str | None = None) -> str:
    """The event in a few words; `bed` names the bed of a bed's own event."""
    match fact:
        case PatientArrived():
            complaint = f": '{fact.chief_complaint}'" if fact.chief_complaint else ""
            return f"arrived ({fact.arrival_mode}), visit {fact.visit_number}{complaint}"
        case PatientTriaged():
            return f"triaged ESI {fact.esi}"
        case ProviderAssigned():
            return f"provider {fact.provider_id} assigned"
        case NurseAssigned():
            return f"nurse {fact.nurse_id} assigned"
        case BedAssigned():
            return f"to bed {fact.bed_id} ({fact.unit})"
        case PatientTransferred():
            return f"moved from bed {fact.from_bed_id or '(none)'} to {fact.to_bed_id} ({fact.to_unit})"
        case BedVacated():
            return f"left bed {fact.bed_id}, still in the department"
        case AdmitDecided():
            return f"admit decided: {fact.level_of_care}" + (f", {fact.inpatient_unit}" if fact.inpatient_unit else "")
        case PatientDischarged():
            return f"discharged: {fact.disposition}" + (f" to {fact.destination}" if fact.destination else "")
        case ArrivalCancelled():
            return f"arrival cancelled as recorded in error: {fact.reason}"
        case DischargeCancelled():
            return f"discharge cancelled as recorded in error: {fact.reason}"
        case BedOccupied():
            return f"bed {bed or '?'} occupied"
        case BedReleased():
            return f"bed {bed or '?'} released, to be cleaned"
        case AppointmentBooked():
            return (
                f"booked {fact.appointment_type} with {fact.provider_id} ({fact.department}), "
                f"{_at(fact.start)} to {_at(fact.end)}" + (f": '{fact.reason}'" if fact.reason else "")
            )
        case AppointmentRescheduled():
            return (
                f"rescheduled: {_at(fact.previous_start)} with {fact.previous_provider_id} → "
                f"{_at(fact.start)} with {fact.provider_id}"
            )
        case AppointmentCancelled():
            return f"appointment cancelled: {fact.reason}"
        case AppointmentModified():
            parts = [f"type {fact.appointment_type}" if fact.appointment_type else ""]
            if fact.room_id is not None or fact.previous_room_id is not None:
                parts.append(f"room {fact.previous_room_id or '(none)'} → {fact.room_id or '(none)'}")
            parts.append(f"'{fact.reason}'" if fact.reason else "")
            return "modified: " + ", ".join(p for p in parts if p)
        case ProviderTimeReserved() | RoomTimeReserved():
            what = "provider" if isinstance(fact, ProviderTimeReserved) else "room"
            return f"{what} time reserved {_at(fact.start)} to {_at(fact.end)}"
        case ProviderTimeReleased() | RoomTimeReleased():
            return f"{'provider' if isinstance(fact, ProviderTimeReleased) else 'room'} time released"
        case InsuranceVerificationRequested():
            return f"insurance verification requested ({fact.coverage.payer})"
        case InsuranceVerified():
            return f"insurance verified ({fact.method})"
        case InsuranceVerificationFailed():
            return f"insurance verification failed: {fact.reason}"
        case InsuranceRecheckNeeded():
            return f"insurance to be verified again: {fact.reason}"
        case PreOpItemCompleted():
            return f"pre-op {fact.item} done" + (f": {fact.note}" if fact.note else "")
        case ReminderSent():
            return f"reminder sent by {fact.channel}, {fact.lead_minutes} min ahead"
        case PatientRecordUpdated():
            return f"record {fact.mrn} changed ({', '.join(_changed_parts(fact))}): {fact.reason}"
        case PatientRecordsMerged():
            moved = f"{len(fact.visits)} visit(s), {len(fact.appointments)} appointment(s) moved"
            return f"record {fact.merged_mrn} merged into {fact.surviving_mrn}, {moved}: {fact.reason}"
    return placement_summary(fact) or PLAIN.get(type(fact).__name__, type(fact).__name__)


def _changed_parts(fact: PatientRecordUpdated) -> list[str]:
    """What a record change names, without the values (names and birth date are identity)."""
    parts = []
    if fact.patient is not None:
        details = ("family_name", "given_name", "birth_date", "age_years")
        parts += [n.replace("_", " ") for n in details if getattr(fact.patient, n) is not None]
        parts += ["sex"] if fact.patient.sex != "U" else []
    parts += ["contact"] if fact.contact is not None else []
    parts += ["coverage"] if fact.coverage is not None else []
    return parts
