"""Booking rules: a provider's time is never double-booked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.catalogue import Coverage, Person
from services.errors import AlreadyExists, Invalid, InvalidTransition, SlotAlreadyBooked

NINE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
PATIENT = Person(family_name="Roe", given_name="Sam", sex="M", age_years=61)


def book(app, clock, start=NINE, minutes=30, provider="dr-1", appointment_id=None):
    return app.book(
        clock.meta(role="scheduler"),
        PATIENT,
        provider,
        "cardiology",
        "outpatient-visit",
        start,
        start + timedelta(minutes=minutes),
        appointment_id=appointment_id,
    ).id


def types(outcome):
    return [e["type"] for e in outcome.events]


def test_overlapping_booking_for_the_same_provider_is_refused(hospital, clock):
    book(hospital, clock)
    with pytest.raises(SlotAlreadyBooked):
        book(hospital, clock, start=NINE + timedelta(minutes=15))


def test_back_to_back_and_other_providers_are_fine(hospital, clock):
    book(hospital, clock)
    book(hospital, clock, start=NINE + timedelta(minutes=30))
    book(hospital, clock, provider="dr-2")


def test_rescheduling_frees_the_old_slot(hospital, clock):
    first = book(hospital, clock)
    hospital.reschedule(clock.meta(), first, NINE + timedelta(hours=2), NINE + timedelta(hours=2, minutes=30))
    book(hospital, clock)  # the old time is free again


def test_rescheduling_within_its_own_time_is_not_a_conflict_with_itself(hospital, clock):
    first = book(hospital, clock)
    hospital.reschedule(clock.meta(), first, NINE + timedelta(minutes=10), NINE + timedelta(minutes=40))


def test_cancel_frees_the_slot_and_a_cancelled_appointment_cannot_be_checked_in(hospital, clock):
    first = book(hospital, clock)
    assert types(hospital.cancel_appointment(clock.meta(), first, "patient request")) == [
        "AppointmentCancelled",
        "ProviderTimeReleased",
    ]
    with pytest.raises(InvalidTransition):
        hospital.check_in(clock.meta(), first)
    book(hospital, clock)


def test_booking_across_midnight_guards_both_days(hospital, clock):
    late = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    book(hospital, clock, start=late, minutes=60)
    with pytest.raises(SlotAlreadyBooked):
        book(hospital, clock, start=datetime(2026, 3, 4, 0, 0, tzinfo=UTC), minutes=15)


def test_end_before_start_and_naive_times_are_invalid(hospital, clock):
    with pytest.raises(Invalid):
        book(hospital, clock, minutes=-10)
    with pytest.raises(Invalid):
        book(hospital, clock, start=NINE.replace(tzinfo=None))


def test_appointment_id_is_unique(hospital, clock):
    book(hospital, clock, appointment_id="SCH-1")
    with pytest.raises(AlreadyExists):
        book(hospital, clock, start=NINE + timedelta(hours=3), appointment_id="SCH-1")


def test_check_in_then_complete_and_no_show_only_when_booked(hospital, clock):
    visit = book(hospital, clock)
    hospital.check_in(clock.meta(), visit)
    with pytest.raises(InvalidTransition):
        hospital.mark_no_show(clock.meta(), visit)
    assert types(hospital.complete_appointment(clock.meta(), visit)) == ["AppointmentCompleted"]


def test_insurance_result_needs_a_pending_request(hospital, clock):
    visit = book(hospital, clock)
    with pytest.raises(InvalidTransition):
        hospital.record_verification(clock.meta(), visit, True)
    hospital.request_verification(clock.meta(), visit, Coverage(payer="Acme", member_id="A-1"))
    assert types(hospital.record_verification(clock.meta(), visit, False, "member not found")) == [
        "InsuranceVerificationFailed"
    ]
