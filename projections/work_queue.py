"""The patient-access scheduler's work queue: a pure reducer and its view.

Table entries, one per key (writes per event are O(1)):
  `{facility}|wq`                          the highest store position applied
  `{facility}|wq|appt|{aggregate id}`      one appointment's queue state
  `{facility}|wq|offer|{waitlist id}|{entry}` one pending waitlist offer

`view(entries, as_of, ...)` answers the day's questions from them: today's
appointments by department, coverage not yet verified, reminders due, no-shows
to rebook, open pre-op checklists and pending waitlist offers. Time always
comes from the caller (`as_of`) or the events, never from a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from datetime import date, datetime, timedelta
from typing import Any, Union
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentModified,
    AppointmentNoShow,
    AppointmentRescheduled,
    InsuranceRecheckNeeded,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    PreOpItemCompleted,
    ReminderSent,
    WaitlistOfferAccepted,
    WaitlistOfferDeclined,
    WaitlistOfferExpired,
    WaitlistSlotOffered,
)
from events.envelope import Envelope
from services.access.checklist import missing_items

ACTIVE = ("booked", "checked-in")
REBOOK_WINDOW = timedelta(days=30)
_OFFER_FACTS = (WaitlistSlotOffered, WaitlistOfferAccepted, WaitlistOfferDeclined, WaitlistOfferExpired)


class _QueueEntry(msgspec.Struct, kw_only=True, tag=True, tag_field="entry", omit_defaults=True):
    pass


class QueueWatermark(_QueueEntry, kw_only=True):
    position: int = 0


class QueueAppointment(_QueueEntry, kw_only=True):
    id: str  # aggregate id
    appointment_id: str
    department: str
    provider_id: str
    appointment_type: str
    start: datetime
    end: datetime
    booked_at: datetime
    status: str = "booked"
    status_at: datetime | None = None
    insurance: str = "unverified"
    confirmed: bool = False
    checklist_done: list[str] = []
    reminders_sent: list[int] = []
    room_id: str | None = None
    initials: str = ""
    reschedules: int = 0


class QueueOffer(_QueueEntry, kw_only=True):
    waitlist_id: str
    entry_id: str
    provider_id: str
    start: datetime
    end: datetime
    expires_at: datetime


QueueEntry = Union[QueueWatermark, QueueAppointment, QueueOffer]
_encoder, _decoder = msgspec.json.Encoder(), msgspec.json.Decoder(QueueEntry)


def encode_queue_entry(entry: QueueEntry) -> bytes:
    return _encoder.encode(entry)


def decode_queue_entry(raw: bytes | str) -> QueueEntry:
    return _decoder.decode(raw)


def watermark_key(facility_id: str) -> str:
    return f"{facility_id}|wq"


def keys_for(envelope: Envelope) -> list[str]:
    """Keys this event reads or writes: the watermark first; none if it is not ours."""
    facility, fact = envelope.facility_id, envelope.data
    if isinstance(fact, _OFFER_FACTS):
        return [watermark_key(facility), f"{facility}|wq|offer|{envelope.aggregate_id}|{fact.entry_id}"]
    if envelope.aggregate_type == "Appointment":
        return [watermark_key(facility), f"{facility}|wq|appt|{envelope.aggregate_id}"]
    return []


def step(entries: Mapping[str, QueueEntry | None], envelope: Envelope) -> dict[str, QueueEntry | None]:
    """The changed entries after one event; empty for repeats and other events."""
    keys = keys_for(envelope)
    if not keys:
        return {}
    mark_key, key = keys
    mark = entries.get(mark_key) or QueueWatermark()
    if envelope.position <= mark.position:  # type: ignore[union-attr]
        return {}
    old = entries.get(key)
    fact = envelope.data
    if isinstance(fact, _OFFER_FACTS):
        new = _offer(fact, str(envelope.aggregate_id)) if isinstance(fact, WaitlistSlotOffered) else None
    else:
        new = _appointment(old, fact, envelope)  # type: ignore[arg-type]
    changes: dict[str, QueueEntry | None] = {mark_key: QueueWatermark(position=envelope.position)}
    if new != old:
        changes[key] = new
    return changes


def _offer(fact: WaitlistSlotOffered, waitlist_id: str) -> QueueOffer:
    return QueueOffer(
        waitlist_id=waitlist_id, entry_id=fact.entry_id, provider_id=fact.provider_id,
        start=fact.start, end=fact.end, expires_at=fact.expires_at,
    )


def _initials(fact: AppointmentBooked) -> str:
    return "".join(n.strip()[:1].upper() for n in (fact.patient.given_name, fact.patient.family_name) if n and n.strip())


def _appointment(old: QueueAppointment | None, fact: Any, envelope: Envelope) -> QueueAppointment | None:
    at = envelope.occurred_at
    if isinstance(fact, AppointmentBooked):
        return QueueAppointment(
            id=str(envelope.aggregate_id), appointment_id=fact.appointment_id or str(envelope.aggregate_id),
            department=fact.department, provider_id=fact.provider_id, appointment_type=fact.appointment_type,
            start=fact.start, end=fact.end, booked_at=at, room_id=fact.room_id, initials=_initials(fact),
        )
    if old is None:
        return None  # joined mid-stream: nothing to amend
    match fact:
        case AppointmentRescheduled():
            return replace(old, provider_id=fact.provider_id, start=fact.start, end=fact.end, confirmed=False,
                           reminders_sent=[], reschedules=old.reschedules + 1)
        case AppointmentModified():
            return replace(old, appointment_type=fact.appointment_type or old.appointment_type,
                           room_id=fact.room_id if fact.room_id is not None else old.room_id)
        case AppointmentCancelled():
            return replace(old, status="cancelled", status_at=at)
        case PatientCheckedIn():
            return replace(old, status="checked-in", status_at=at)
        case AppointmentNoShow():
            return replace(old, status="noshow", status_at=at)
        case AppointmentCompleted():
            return replace(old, status="fulfilled", status_at=at)
        case AppointmentConfirmed():
            return replace(old, confirmed=True)
        case PreOpItemCompleted():
            return replace(old, checklist_done=sorted({*old.checklist_done, fact.item}))
        case InsuranceVerificationRequested():
            return replace(old, insurance="requested")
        case InsuranceVerified():
            return replace(old, insurance="verified")
        case InsuranceVerificationFailed():
            return replace(old, insurance="failed")
        case InsuranceRecheckNeeded():
            return replace(old, insurance="recheck")
        case ReminderSent():
            return replace(old, reminders_sent=sorted({*old.reminders_sent, fact.lead_minutes}))
    return old


def fold_into(table: MutableMapping[str, QueueEntry], envelopes: Iterable[Envelope]) -> MutableMapping[str, QueueEntry]:
    """Fold events into an in-memory table (reminders process, API, tests)."""
    for envelope in envelopes:
        for key, entry in step({k: table.get(k) for k in keys_for(envelope)}, envelope).items():
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
    return table


def reminders_due(appointment: QueueAppointment, as_of: datetime, leads_minutes: Iterable[int]) -> list[int]:
    """Lead times whose moment has come and that were not sent, for a booked
    appointment that has not started. A sender that was down catches up."""
    if appointment.status != "booked" or appointment.start <= as_of:
        return []
    return sorted(
        (lead for lead in set(leads_minutes)
         if lead not in appointment.reminders_sent and appointment.start - timedelta(minutes=lead) <= as_of),
        reverse=True,
    )


def _item(a: QueueAppointment) -> dict[str, Any]:
    return {
        "appointment_id": a.appointment_id, "department": a.department, "provider_id": a.provider_id,
        "appointment_type": a.appointment_type, "start": a.start.isoformat(), "end": a.end.isoformat(),
        "status": a.status, "insurance": a.insurance, "initials": a.initials, "room_id": a.room_id,
    }


def view(
    entries: Iterable[QueueEntry], as_of: datetime, time_zone: str = "UTC",
    insurance_flag_days: int = 3, reminder_leads: Iterable[int] = (2880, 120),
) -> dict[str, Any]:
    """The scheduler's queue for one facility's entries as of `as_of`."""
    tz, leads = ZoneInfo(time_zone), list(reminder_leads)
    today: date = as_of.astimezone(tz).date()
    horizon = as_of + timedelta(days=insurance_flag_days)
    appointments = sorted((e for e in entries if isinstance(e, QueueAppointment)), key=lambda a: (a.start, a.appointment_id))
    offers = sorted((e for e in entries if isinstance(e, QueueOffer)), key=lambda o: o.expires_at)
    by_department: dict[str, list[dict[str, Any]]] = {}
    for a in appointments:
        if a.start.astimezone(tz).date() == today and a.status != "cancelled":
            by_department.setdefault(a.department, []).append(_item(a))
    active = [a for a in appointments if a.status in ACTIVE]
    return {
        "as_of": as_of.isoformat(),
        "today": by_department,
        "unverified_coverage": [_item(a) for a in active if as_of <= a.start <= horizon and a.insurance != "verified"],
        "reminders_due": [
            {**_item(a), "lead_minutes": lead} for a in active for lead in reminders_due(a, as_of, leads)
        ],
        "no_shows_to_rebook": [
            _item(a) for a in appointments if a.status == "noshow" and as_of - REBOOK_WINDOW <= a.start <= as_of
        ],
        "checklists_open": [
            {**_item(a), "missing": missing_items(a.appointment_type, set(a.checklist_done))}
            for a in active if a.start >= as_of and not a.confirmed and missing_items(a.appointment_type, set(a.checklist_done))
        ],
        "offers_pending": [
            {"entry_id": o.entry_id, "provider_id": o.provider_id, "start": o.start.isoformat(), "end": o.end.isoformat(),
             "expires_at": o.expires_at.isoformat(), "expired": o.expires_at <= as_of}
            for o in offers
        ],
    }
