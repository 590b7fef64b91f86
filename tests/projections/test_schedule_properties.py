"""Schedule counts over random valid appointment histories (hypothesis)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentNoShow,
    AppointmentRescheduled,
    Coverage,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    Person,
)
from projections.entries import AppointmentEntry, ScheduleBook
from projections.fold import fold_into, keys_for, step
from projections.guarded import apply_changes
from projections.profile import DEFAULT_PROFILE
from projections.schedule import _contribution, schedule_id
from tests.projections.stories import Story

DAY0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
ACTIONS = ("book", "reschedule", "check_in", "no_show", "complete", "cancel", "request", "verify")


def play(story: Story, appointments: dict, action: str, pick: int, day: int, department: str) -> None:
    """Record `action` on the picked appointment if its state allows it (as the write model would)."""
    if action == "book" or not appointments:
        aid = uuid.uuid4()
        start = DAY0 + timedelta(days=day)
        fact = AppointmentBooked(
            patient=Person(given_name="Li"),
            provider_id="p",
            department=department,
            appointment_type="outpatient-visit",
            start=start,
            end=start + timedelta(minutes=30),
        )
        appointments[aid] = {"status": "booked", "insurance": "unverified", "start": start}
        story.record(aid, fact, "Appointment")
        return
    aid = list(appointments)[pick % len(appointments)]
    state = appointments[aid]
    status, insurance = state["status"], state["insurance"]
    if action == "reschedule" and status == "booked":
        start = DAY0 + timedelta(days=day)
        story.record(
            aid,
            AppointmentRescheduled(
                provider_id="p",
                start=start,
                end=start + timedelta(minutes=30),
                previous_provider_id="p",
                previous_start=state["start"],
                previous_end=state["start"] + timedelta(minutes=30),
            ),
            "Appointment",
        )
        state["start"] = start
    elif action in ("check_in", "no_show") and status == "booked":
        story.record(aid, PatientCheckedIn() if action == "check_in" else AppointmentNoShow(), "Appointment")
        state["status"] = "checked-in" if action == "check_in" else "noshow"
    elif action == "complete" and status == "checked-in":
        story.record(aid, AppointmentCompleted(), "Appointment")
        state["status"] = "fulfilled"
    elif action == "cancel" and status in ("booked", "checked-in"):
        story.record(aid, AppointmentCancelled(reason="called"), "Appointment")
        state["status"] = "cancelled"
    elif action == "request" and status in ("booked", "checked-in"):
        story.record(aid, InsuranceVerificationRequested(coverage=Coverage(payer="Acme", member_id="1")), "Appointment")
        state["insurance"] = "requested"
    elif action == "verify" and insurance == "requested":
        story.record(aid, InsuranceVerified(), "Appointment")
        state["insurance"] = "verified"


ACTION_LISTS = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, 20),
        st.integers(0, 3),
        st.sampled_from(("orthopedics", "internal-medicine")),
    ),
    min_size=1,
    max_size=60,
)


def played(actions) -> tuple[Story, dict]:
    """The story of `actions`, and each appointment's state as the story left it."""
    story: Story = Story()
    appointments: dict = {}
    for action in actions:
        play(story, appointments, *action)
    return story, appointments


@settings(max_examples=60, deadline=None)
@given(ACTION_LISTS)
def test_schedule_counts_equal_a_recount_of_the_appointments_and_never_go_negative(actions):
    story, appointments = played(actions)
    table = fold_into({}, story.envelopes)
    found = table.get("demo|schedule")
    book = found if isinstance(found, ScheduleBook) else ScheduleBook()
    recount: dict[str, Counter] = {}
    for entry in table.values():
        if isinstance(entry, AppointmentEntry):
            recount.setdefault(schedule_id(entry, DEFAULT_PROFILE), Counter()).update(_contribution(entry))
    assert {sid: {k: v for k, v in c.items() if v} for sid, c in recount.items() if any(c.values())} == {
        sid: {k: v for k, v in counts.items() if v} for sid, counts in book.counts.items()
    }
    assert all(n >= 0 for counts in book.counts.values() for n in counts.values())
    # And the totals agree with the story's own record of each appointment.
    statuses = Counter(a["status"] for a in appointments.values())
    totals: Counter[str] = Counter()
    for counts in book.counts.values():
        totals.update(counts)
    assert (totals["booked"], totals["checked_in"], totals["no_show"], totals["cancelled"]) == (
        statuses["booked"],
        statuses["checked-in"] + statuses["fulfilled"],
        statuses["noshow"],
        statuses["cancelled"],
    )
    assert sum(isinstance(e, AppointmentEntry) for e in table.values()) == len(appointments)


@settings(max_examples=60, deadline=None)
@given(ACTION_LISTS)
def test_a_step_without_board_changes_exactly_what_the_publishing_step_changes(actions):
    story, appointments = played(actions)
    table: dict = {}
    for envelope in story.envelopes:
        entries = {k: table.get(k) for k in keys_for(envelope)}
        publishing, quiet = step(entries, envelope), step(entries, envelope, board=False)
        assert (quiet.changes, quiet.board) == (publishing.changes, [])
        apply_changes(table, publishing.changes)
    assert fold_into({}, story.envelopes) == table
