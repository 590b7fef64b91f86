"""Booking lifecycle: no double booking of a provider or a room, modify,
reschedule, the surgical checklist gate, ED follow-ups and reminders."""

from __future__ import annotations

import pytest

from events.catalogue import Person
from services.errors import (
    AlreadyExists,
    ChecklistIncomplete,
    Invalid,
    InvalidTransition,
    ReminderAlreadySent,
    SlotAlreadyBooked,
)
from tests.services.access.conftest import at, types


def test_double_booking_a_provider_is_refused(desk):
    desk.book(at(0, 9))
    with pytest.raises(SlotAlreadyBooked, match="provider"):
        desk.book(at(0, 9, 15))


def test_double_booking_a_room_is_refused_even_with_another_provider(desk):
    desk.book(at(0, 9), room="or-2")
    with pytest.raises(SlotAlreadyBooked, match="room"):
        desk.book(at(0, 9, 15), provider="dr-2", room="or-2")
    desk.book(at(0, 9, 15), provider="dr-2", room="or-3")


def test_rescheduling_frees_the_old_provider_and_room_time(desk):
    first = desk.book(at(0, 9), room="or-2")
    desk.app.reschedule(desk.meta(), first, at(0, 11), at(0, 11, 30))
    desk.book(at(0, 9), provider="dr-2", room="or-2")
    with pytest.raises(SlotAlreadyBooked):
        desk.book(at(0, 11), provider="dr-3", room="or-2")


def test_rescheduling_into_blocked_time_is_refused_and_the_old_slot_stays_held(desk):
    desk.define()
    first = desk.book(at(0, 9))
    desk.app.block_time(desk.meta(), "provider", "dr-1", at(0, 14), at(0, 15), "theatre")
    with pytest.raises(Exception, match="blocked"):
        desk.app.reschedule(desk.meta(), first, at(0, 14), at(0, 14, 30))
    with pytest.raises(SlotAlreadyBooked):
        desk.book(at(0, 9))


def test_modify_changes_room_and_type_without_moving_the_time(desk):
    visit = desk.book(at(0, 9), room="exam-1")
    outcome = desk.app.modify_appointment(desk.meta(), visit, appointment_type="outpatient-procedure", room_id="exam-2")
    assert types(outcome) == ["AppointmentModified", "RoomTimeReleased", "RoomTimeReserved"]
    desk.book(at(0, 9), provider="dr-2", room="exam-1")  # the old room is free
    appointment = desk.app.appointment("fac-1", visit)
    assert (appointment.room_id, appointment.appointment_type, appointment.start) == (
        "exam-2",
        "outpatient-procedure",
        at(0, 9),
    )


def test_modify_into_a_taken_room_is_refused_and_records_nothing(desk):
    desk.book(at(0, 9), provider="dr-2", room="exam-2")
    visit = desk.book(at(0, 9), room="exam-1")
    with pytest.raises(SlotAlreadyBooked):
        desk.app.modify_appointment(desk.meta(), visit, room_id="exam-2")
    assert desk.app.appointment("fac-1", visit).room_id == "exam-1"


def test_modify_with_nothing_to_change_is_invalid(desk):
    visit = desk.book(at(0, 9))
    with pytest.raises(Invalid):
        desk.app.modify_appointment(desk.meta(), visit)


def test_a_surgical_case_is_confirmed_only_with_a_complete_checklist(desk):
    case = desk.book(at(0, 9), minutes=120, kind="surgical-case", room="or-1")
    for item in ("consent", "labs", "anaesthesia-review"):
        desk.app.complete_checklist_item(desk.meta(), case, item)
    with pytest.raises(ChecklistIncomplete, match="insurance-authorisation"):
        desk.app.confirm_appointment(desk.meta(), case)
    with pytest.raises(ChecklistIncomplete):
        desk.app.check_in(desk.meta(), case)
    desk.app.complete_checklist_item(desk.meta(), case, "insurance-authorisation", note="auth 7781")
    assert types(desk.app.confirm_appointment(desk.meta(), case)) == ["AppointmentConfirmed"]
    desk.app.check_in(desk.meta(), case)


def test_checklist_items_belong_to_surgical_cases_and_count_once(desk):
    visit = desk.book(at(0, 9))
    with pytest.raises(InvalidTransition, match="surgical"):
        desk.app.complete_checklist_item(desk.meta(), visit, "consent")
    case = desk.book(at(0, 10), kind="surgical-case")
    desk.app.complete_checklist_item(desk.meta(), case, "consent")
    with pytest.raises(InvalidTransition, match="already"):
        desk.app.complete_checklist_item(desk.meta(), case, "consent")


def test_an_outpatient_visit_can_be_confirmed_directly(desk):
    visit = desk.book(at(0, 9))
    assert types(desk.app.confirm_appointment(desk.meta(), visit)) == ["AppointmentConfirmed"]


def test_an_ed_follow_up_links_to_an_existing_visit_of_the_facility(desk, clock):
    encounter = desk.app.arrive(clock.meta(role="intake"), "V-100", Person(sex="F")).id
    follow_up = desk.book(at(0, 9), kind="ed-follow-up", encounter_id=encounter)
    assert desk.app.appointment("fac-1", follow_up).encounter_id == encounter
    with pytest.raises(Invalid, match="encounter_id"):
        desk.book(at(0, 10), kind="ed-follow-up", encounter_id="00000000-0000-0000-0000-000000000000")
    other = desk.app.arrive(clock.meta(facility_id="fac-2", role="intake"), "V-200", Person(sex="M")).id
    with pytest.raises(Invalid, match="encounter_id"):
        desk.book(at(0, 11), kind="ed-follow-up", encounter_id=other)


def test_a_reminder_for_one_lead_time_is_recorded_once(desk):
    visit = desk.book(at(2, 9))
    desk.app.record_reminder(desk.meta(), visit, 2880, "log", "m-1")
    with pytest.raises(ReminderAlreadySent):
        desk.app.record_reminder(desk.meta(), visit, 2880, "log", "m-1")
    desk.app.record_reminder(desk.meta(), visit, 120, "log", "m-2")


def test_insurance_can_be_sent_for_a_recheck_after_verification(desk):
    from events.catalogue import Coverage

    visit = desk.book(at(0, 9))
    with pytest.raises(InvalidTransition):
        desk.app.require_insurance_recheck(desk.meta(), visit, "dates moved")
    desk.app.request_verification(desk.meta(), visit, Coverage(payer="Acme", member_id="A-1"))
    desk.app.record_verification(desk.meta(), visit, True, "ref 1")
    assert types(desk.app.require_insurance_recheck(desk.meta(), visit, "plan changed")) == ["InsuranceRecheckNeeded"]
    assert desk.app.appointment("fac-1", visit).insurance == "recheck"


def test_a_booking_refused_for_its_id_records_nothing(desk):
    desk.book(at(0, 9), appointment_id="SCH-1")
    with pytest.raises(AlreadyExists):
        desk.book(at(0, 13), appointment_id="SCH-1")
    desk.book(at(0, 13))  # that time was never reserved


def test_moving_a_verified_appointment_past_its_coverage_needs_a_recheck(desk):
    from datetime import date

    from events.catalogue import Coverage

    visit = desk.book(at(0, 9))
    coverage = Coverage(payer="Acme", member_id="A-1", effective_from=date(2026, 1, 1), effective_to=date(2026, 3, 31))
    desk.app.request_verification(desk.meta(), visit, coverage)
    desk.app.record_verification(desk.meta(), visit, True, "ref")
    assert "InsuranceRecheckNeeded" not in types(desk.app.reschedule(desk.meta(), visit, at(7, 9), at(7, 9, 30)))
    assert desk.app.appointment("fac-1", visit).insurance == "verified"
    moved = desk.app.reschedule(desk.meta(), visit, at(35, 9), at(35, 9, 30))  # 6 April
    assert "InsuranceRecheckNeeded" in types(moved)
    assert desk.app.appointment("fac-1", visit).insurance == "recheck"
