"""Scheduling reports from the work-queue entries: a day's schedule, and
no-show / cancellation / lead-time statistics by department and period.

Pure functions: rows in, rows out. Appointments count in the period of their
(latest) scheduled start, in the facility's time zone. Rates are over every
appointment of the group; lead time is from booking to start, in days.

An appointment a report cannot place (a time without a zone, or out of the
calendar's range) is left out, logged by its id (never its content) and
counted in `SKIPPED`, rather than failing the report for everyone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from statistics import mean, median
from typing import Any, Literal
from zoneinfo import ZoneInfo

from base.input_bounds import in_zone, local_day
from events.work_queue import QueueAppointment

log = logging.getLogger("edflow.reports")
# Appointments left out of a report, by report ("schedule", "stats"), since start.
SKIPPED: Counter[str] = Counter()

Period = Literal["day", "week", "month"]
SCHEDULE_COLUMNS = (
    "date",
    "start",
    "end",
    "department",
    "provider_id",
    "room_id",
    "appointment_type",
    "appointment_id",
    "initials",
    "status",
    "insurance",
    "confirmed",
)
STATS_COLUMNS = (
    "period",
    "department",
    "appointments",
    "completed",
    "no_shows",
    "cancelled",
    "no_show_rate",
    "cancellation_rate",
    "mean_lead_days",
    "median_lead_days",
)


def _in_range(
    appointments: Iterable[QueueAppointment], first: date, last: date, tz: ZoneInfo, report: str
) -> Iterator[tuple[date, QueueAppointment]]:
    for a in appointments:
        try:
            day = _placed(a, tz)
        except (TypeError, ValueError, OverflowError) as error:
            SKIPPED[report] += 1
            log.error("%s report skipped appointment %s: %s", report, a.id, type(error).__name__)
            continue
        if first <= day <= last:
            yield day, a


def _placed(a: QueueAppointment, tz: ZoneInfo) -> date:
    """The appointment's day in the facility's calendar; raises if any of its
    times cannot be compared with the others' (no zone) or placed."""
    for moment in (a.start, a.end, a.booked_at):
        if _naive(moment):
            raise ValueError("a time without a zone")
    return local_day(a.start, tz)


def _naive(moment: datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None


def schedule_rows(
    appointments: Iterable[QueueAppointment], first: date, last: date, time_zone: str
) -> list[dict[str, Any]]:
    tz = ZoneInfo(time_zone)
    rows = []
    for day, a in sorted(
        _in_range(appointments, first, last, tz, "schedule"),
        key=lambda p: (p[1].start, p[1].department, p[1].appointment_id),
    ):
        rows.append(
            {
                "date": day.isoformat(),
                "start": in_zone(a.start, tz).strftime("%H:%M"),
                "end": in_zone(a.end, tz).strftime("%H:%M"),
                "department": a.department,
                "provider_id": a.provider_id,
                "room_id": a.room_id or "",
                "appointment_type": a.appointment_type,
                "appointment_id": a.appointment_id,
                "initials": a.initials,
                "status": a.status,
                "insurance": a.insurance,
                "confirmed": "yes" if a.confirmed else "no",
            }
        )
    return rows


def period_of(day: date, period: Period) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def stats_rows(
    appointments: Iterable[QueueAppointment], first: date, last: date, time_zone: str, period: Period = "month"
) -> list[dict[str, Any]]:
    tz = ZoneInfo(time_zone)
    groups: dict[tuple[str, str], list[QueueAppointment]] = {}
    for day, a in _in_range(appointments, first, last, tz, "stats"):
        groups.setdefault((period_of(day, period), a.department), []).append(a)
    rows = []
    for (label, department), members in sorted(groups.items()):
        total = len(members)
        no_shows = sum(a.status == "noshow" for a in members)
        cancelled = sum(a.status == "cancelled" for a in members)
        leads = [(a.start - a.booked_at) / timedelta(days=1) for a in members]
        rows.append(
            {
                "period": label,
                "department": department,
                "appointments": total,
                "completed": sum(a.status == "fulfilled" for a in members),
                "no_shows": no_shows,
                "cancelled": cancelled,
                "no_show_rate": round(no_shows / total, 4),
                "cancellation_rate": round(cancelled / total, 4),
                "mean_lead_days": round(mean(leads), 2),
                "median_lead_days": round(median(leads), 2),
            }
        )
    return rows
