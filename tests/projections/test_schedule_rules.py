"""The fold's rules for appointments: the per-department, per-day schedule counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from msgspec import to_builtins

from events.catalogue import (
    AppointmentCancelled,
    AppointmentNoShow,
    AppointmentRescheduled,
    Coverage,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
)
from projections.fold import fold_into, keys_for, step
from tests.projections.appointment_story import book_appointment
from tests.projections.stories import Story, board_of


def test_schedule_counts_follow_each_appointment_through_its_day():
    story = Story()
    first, second, third = (uuid.uuid4() for _ in range(3))
    for appointment in (first, second, third):
        book_appointment(story, appointment, day=3)
    story.record(first, PatientCheckedIn(), "Appointment")
    story.record(second, AppointmentNoShow(), "Appointment")
    story.record(third, InsuranceVerificationRequested(coverage=Coverage(payer="Acme", member_id="1")), "Appointment")
    board = board_of(fold_into({}, story.envelopes))
    assert board[("schedule", "orthopedics|2026-03-03")] == {
        "department": "orthopedics",
        "date": "2026-03-03",
        "booked": 1,
        "checked_in": 1,
        "no_show": 1,
        "cancelled": 0,
        "unverified_insurance": 2,
    }
    story.record(third, InsuranceVerified(), "Appointment")
    story.record(third, AppointmentCancelled(reason="patient called"), "Appointment")
    schedule = board_of(fold_into({}, story.envelopes))[("schedule", "orthopedics|2026-03-03")]
    assert (schedule["booked"], schedule["cancelled"], schedule["unverified_insurance"]) == (0, 1, 1)


def test_a_reschedule_moves_the_appointment_to_its_new_day():
    story = Story()
    appointment = uuid.uuid4()
    book_appointment(story, appointment, day=3)
    old_start = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    new_start = old_start + timedelta(days=2)
    story.record(
        appointment,
        AppointmentRescheduled(
            provider_id="ortho-sato",
            start=new_start,
            end=new_start + timedelta(hours=1),
            previous_provider_id="ortho-sato",
            previous_start=old_start,
            previous_end=old_start + timedelta(hours=1),
        ),
        "Appointment",
    )
    table = fold_into({}, story.envelopes[:-1])
    result = step({k: table.get(k) for k in keys_for(story.envelopes[-1])}, story.envelopes[-1])
    changed = {(c.kind, c.id): to_builtins(c.value) for c in result.board}
    assert changed[("schedule", "orthopedics|2026-03-03")] is None
    assert changed[("schedule", "orthopedics|2026-03-05")]["booked"] == 1
    assert changed[("appointment", str(appointment))]["start"] == new_start.isoformat()
