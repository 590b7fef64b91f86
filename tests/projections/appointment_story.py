"""An outpatient appointment in a story (tests/projections/stories.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from events.catalogue import AppointmentBooked, Person
from tests.projections.stories import Story


def book_appointment(story: Story, appointment: uuid.UUID, day: int, department: str = "orthopedics") -> None:
    """A procedure at 15:00 UTC on `day` March 2026."""
    start = datetime(2026, 3, day, 15, 0, tzinfo=UTC)
    story.record(
        appointment,
        AppointmentBooked(
            patient=Person(given_name="Li", family_name="Wu"),
            provider_id="ortho-sato",
            department=department,
            appointment_type="outpatient-procedure",
            start=start,
            end=start + timedelta(hours=1),
        ),
        "Appointment",
    )
