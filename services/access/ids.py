"""Aggregate ids of the access context, derived from what identifies them,
and the calendar days an interval touches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.application import derived_id


def appointment_aggregate_id(facility_id: str, appointment_id: str) -> uuid.UUID:
    return derived_id("appointment", facility_id, appointment_id)


def provider_day_id(facility_id: str, provider_id: str, day: str) -> uuid.UUID:
    return derived_id("provider-day", facility_id, provider_id, day)


def room_day_id(facility_id: str, room_id: str, day: str) -> uuid.UUID:
    return derived_id("room-day", facility_id, room_id, day)


def days_touched(start: datetime, end: datetime) -> list[str]:
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
