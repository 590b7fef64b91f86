"""The scheduler's work queue, answered from the work-queue entries.

`view(entries, as_of, ...)` answers the day's questions: today's appointments
by department, coverage not yet verified, reminders due, no-shows to rebook,
open pre-op checklists, pending waitlist offers and open call-backs. Time always comes from
the caller (`as_of`), never from a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from base.input_bounds import local_day, plus
from events.catalogue import missing_items
from events.work_queue import QueueAppointment, QueueCallBack, QueueEntry, QueueOffer

ACTIVE = ("booked", "checked-in")
REBOOK_WINDOW = timedelta(days=30)


def reminders_due(appointment: QueueAppointment, as_of: datetime, leads_minutes: Iterable[int]) -> list[int]:
    """Lead times whose moment has come and that were not sent, for a booked
    appointment that has not started. A sender that was down catches up."""
    if appointment.status != "booked" or appointment.start <= as_of:
        return []
    return sorted(
        (
            lead
            for lead in set(leads_minutes)
            if lead not in appointment.reminders_sent and plus(appointment.start, -timedelta(minutes=lead)) <= as_of
        ),
        reverse=True,
    )


def _item(a: QueueAppointment) -> dict[str, Any]:
    return {
        "appointment_id": a.appointment_id,
        "department": a.department,
        "provider_id": a.provider_id,
        "appointment_type": a.appointment_type,
        "start": a.start.isoformat(),
        "end": a.end.isoformat(),
        "status": a.status,
        "insurance": a.insurance,
        "insurance_detail": a.insurance_note,
        "initials": a.initials,
        "room_id": a.room_id,
    }


def view(
    entries: Iterable[QueueEntry],
    as_of: datetime,
    time_zone: str = "UTC",
    insurance_flag_days: int = 3,
    reminder_leads: Iterable[int] = (2880, 120),
) -> dict[str, Any]:
    """The scheduler's queue for one facility's entries as of `as_of`."""
    tz, leads = ZoneInfo(time_zone), list(reminder_leads)
    today: date = local_day(as_of, tz)
    horizon = plus(as_of, timedelta(days=insurance_flag_days))
    rebook_since = plus(as_of, -REBOOK_WINDOW)
    appointments = sorted(
        (e for e in entries if isinstance(e, QueueAppointment)), key=lambda a: (a.start, a.appointment_id)
    )
    offers = sorted((e for e in entries if isinstance(e, QueueOffer)), key=lambda o: o.expires_at)
    call_backs = sorted((e for e in entries if isinstance(e, QueueCallBack)), key=lambda c: (c.due, c.contact_id))
    by_department: dict[str, list[dict[str, Any]]] = {}
    for a in appointments:
        if local_day(a.start, tz) == today and a.status != "cancelled":
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
            _item(a) for a in appointments if a.status == "noshow" and rebook_since <= a.start <= as_of
        ],
        "checklists_open": [
            {**_item(a), "missing": missing_items(a.appointment_type, set(a.checklist_done))}
            for a in active
            if a.start >= as_of and not a.confirmed and missing_items(a.appointment_type, set(a.checklist_done))
        ],
        "offers_pending": [
            {
                "entry_id": o.entry_id,
                "provider_id": o.provider_id,
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
                "expires_at": o.expires_at.isoformat(),
                "expired": o.expires_at <= as_of,
            }
            for o in offers
        ],
        "call_backs_due": [
            {
                "contact_id": c.contact_id,
                "log_id": c.log_id,
                "due": c.due.isoformat(),
                "overdue": c.due <= as_of,
                "channel": c.channel,
                "reason": c.reason,
                "initials": c.initials,
                "appointment_id": c.appointment_id,
                "logged_at": c.logged_at.isoformat(),
            }
            for c in call_backs
        ],
    }
