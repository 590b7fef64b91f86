"""Waitlist: freed time goes to the longest-waiting eligible patient, the
offer expires by event time, and an accepted offer books the slot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.catalogue import Person
from services.errors import InvalidTransition, OfferExpired
from tests.services.access.conftest import at, types

ANN = Person(given_name="Ann", family_name="Lee", sex="F")
BOB = Person(given_name="Bob", family_name="Kay", sex="M")
CY = Person(given_name="Cy", family_name="Ng", sex="M")


def pending(desk, scope):
    waitlist = desk.app.waitlist("fac-1", scope)
    return {w.joined.entry_id: w.offer for w in waitlist.entries.values()}


def test_a_cancellation_offers_the_slot_to_the_first_eligible_in_join_order(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 60, provider_id="dr-1", entry_id="ann")
    desk.app.join_waitlist(desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="bob")
    desk.app.join_waitlist(desk.meta(), CY, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="cy")
    outcome = desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    assert "WaitlistSlotOffered" in types(outcome)
    offers = pending(desk, "provider:dr-1")
    # Ann waited longest but needs an hour; Bob is the first who fits.
    assert offers["ann"] is None and offers["cy"] is None
    assert offers["bob"].start == at(1, 9)
    assert offers["bob"].expires_at == desk.clock.now + timedelta(minutes=120)


def test_department_and_provider_waitlists_compete_by_join_time(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, entry_id="ann")  # any provider
    desk.app.join_waitlist(desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="bob")
    desk.app.cancel_appointment(desk.meta(), taken, "clash")
    assert pending(desk, "department:cardiology")["ann"] is not None
    assert pending(desk, "provider:dr-1")["bob"] is None


def test_a_reschedule_frees_time_only_for_patients_wanting_earlier(desk):
    moving = desk.book(at(1, 9))
    desk.app.join_waitlist(
        desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", before=at(1, 8), entry_id="ann"
    )
    desk.app.join_waitlist(
        desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", before=at(3, 9), entry_id="bob"
    )
    desk.app.reschedule(desk.meta(), moving, at(2, 9), at(2, 9, 30))
    offers = pending(desk, "provider:dr-1")
    assert offers["ann"] is None and offers["bob"].start == at(1, 9)


def test_accepting_books_the_slot_and_moves_an_existing_appointment(desk):
    later = desk.book(at(4, 15), appointment_id="bob-later")
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(
        desk.meta(),
        BOB,
        "cardiology",
        "outpatient-visit",
        30,
        provider_id="dr-1",
        appointment_id="bob-later",
        entry_id="bob",
    )
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    outcome = desk.app.accept_offer(desk.meta(), "provider:dr-1", "bob")
    assert outcome.id == later
    assert {"WaitlistOfferAccepted", "AppointmentRescheduled"} <= set(types(outcome))
    assert desk.app.appointment("fac-1", later).start == at(1, 9)
    assert "bob" not in pending(desk, "provider:dr-1")
    desk.book(at(4, 15), provider="dr-1")  # Bob's old time is free again


def test_accepting_without_an_appointment_books_a_new_one(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="ann")
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    booked = desk.app.accept_offer(desk.meta(), "provider:dr-1", "ann", appointment_id="ann-1").id
    appointment = desk.app.appointment("fac-1", booked)
    assert (booked, appointment.start, appointment.end) == ("ann-1", at(1, 9), at(1, 9, 30))


def test_an_expired_offer_cannot_be_accepted_and_passes_to_the_next_patient(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="ann")
    desk.app.join_waitlist(desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="bob")
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    expires = pending(desk, "provider:dr-1")["ann"].expires_at
    with pytest.raises(OfferExpired):
        desk.app.accept_offer(desk.meta(at_time=expires), "provider:dr-1", "ann")
    outcome = desk.app.expire_offers(desk.meta(at_time=expires + timedelta(minutes=1)), "provider:dr-1")
    assert types(outcome) == ["WaitlistOfferExpired", "WaitlistSlotOffered"]
    offers = pending(desk, "provider:dr-1")
    assert offers["ann"] is None and offers["bob"].start == at(1, 9)


def test_declined_slots_go_to_the_next_patient_and_never_back(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="ann")
    desk.app.join_waitlist(desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="bob")
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    desk.app.decline_offer(desk.meta(), "provider:dr-1", "ann")
    assert pending(desk, "provider:dr-1")["bob"] is not None
    desk.app.decline_offer(desk.meta(), "provider:dr-1", "bob")
    assert pending(desk, "provider:dr-1") == {"ann": None, "bob": None}  # nobody is offered it twice
    with pytest.raises(InvalidTransition):
        desk.app.accept_offer(desk.meta(), "provider:dr-1", "ann")


def test_an_offered_slot_shows_as_tentative(desk):
    from datetime import date, time

    desk.define(hours=[(1, time(9), time(10))])
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="ann")
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    slots = desk.app.availability("fac-1", "provider", "dr-1", date(2026, 3, 3), date(2026, 3, 3), "outpatient-visit")
    assert [s.status for s in slots] == ["busy-tentative", "free"]


def test_an_expired_offer_is_not_passed_on_when_the_time_was_booked_meanwhile(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(desk.meta(), ANN, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="ann")
    desk.app.join_waitlist(desk.meta(), BOB, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="bob")
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    desk.book(at(1, 9))  # the offer is tentative: a scheduler may still book the time
    expires = pending(desk, "provider:dr-1")["ann"].expires_at
    outcome = desk.app.expire_offers(desk.meta(at_time=expires), "provider:dr-1")
    assert types(outcome) == ["WaitlistOfferExpired"]
