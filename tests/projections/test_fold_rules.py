"""The fold's rules, one at a time: given these events, then these entries and board changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from msgspec import to_builtins

from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentNoShow,
    AppointmentRescheduled,
    ArrivalCancelled,
    BedBlocked,
    BedCleaningStarted,
    BedUnblocked,
    Coverage,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    PatientDischarged,
    Person,
)
from projections.beds import bed_board
from projections.capacity import nedocs
from projections.entries import decode_entry, encode_entry
from projections.fold import board_snapshot, fold_into, keys_for, step
from projections.profile import FacilityProfile
from projections.waiting import waiting_queue
from tests.projections.stories import START, Story


def board_of(table, profile=FacilityProfile()):
    return {(c.kind, c.id): to_builtins(c.value) for c in board_snapshot(table.items(), profile)}


def test_every_key_starts_with_the_facility_and_the_summary_is_always_read():
    story = Story(facility_id="north")
    story.register_bed("A1")
    story.arrive("V1")
    for envelope in story.envelopes:
        keys = keys_for(envelope)
        assert keys[0] == "north|facility"
        assert all(key.startswith("north|") for key in keys)


def test_an_event_at_or_below_the_watermark_changes_nothing():
    story = Story()
    story.arrive("V1")
    envelope = story.envelopes[0]
    table = fold_into({}, [envelope])
    again = step({k: table.get(k) for k in keys_for(envelope)}, envelope)
    assert (again.changes, again.board) == ({}, [])


def test_waiting_room_is_ordered_by_esi_then_arrival_with_untriaged_and_over_target_flagged():
    story = Story()
    story.at(0).arrive("first-esi3")
    story.at(1).arrive("esi2")
    story.at(2).arrive("untriaged")
    story.at(3).arrive("second-esi3")
    story.at(4).triage(story.visit_id("first-esi3"), 3)
    story.triage(story.visit_id("esi2"), 2)
    story.triage(story.visit_id("second-esi3"), 3)
    table = fold_into({}, story.envelopes)
    as_of = START + timedelta(minutes=30)
    queue = waiting_queue(table.values(), as_of)
    assert [row["visit_number"] for row in queue] == ["untriaged", "esi2", "first-esi3", "second-esi3"]
    flags = {row["visit_number"]: (row["untriaged"], row["over_target"]) for row in queue}
    # Untriaged first (nobody knows yet how sick), no target yet; ESI 2 waited 29 min (> 10);
    # ESI 3 at most 30 min (< 60).
    assert flags == {
        "untriaged": (True, False),
        "esi2": (False, True),
        "first-esi3": (False, False),
        "second-esi3": (False, False),
    }
    # Targets are a parameter: with ESI 3 due in 20 minutes both ESI 3 are over.
    strict = waiting_queue(table.values(), as_of, targets={2: 10, 3: 20})
    assert [row["over_target"] for row in strict] == [False, True, True, True]
    # The board entity carries the target so a screen can judge the wait on its own clock.
    board = board_of(table)
    assert board[("encounter", str(story.visit_id("esi2")))]["wait_target_minutes"] == 10
    assert board[("encounter", str(story.visit_id("untriaged")))]["wait_target_minutes"] is None


def test_a_roomed_patient_leaves_the_waiting_room():
    story = Story()
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.wait(5).assign_bed(visit, "A1")
    table = fold_into({}, story.envelopes)
    assert waiting_queue(table.values(), story.now) == []
    assert board_of(table)[("encounter", str(visit))]["status"] == "roomed"


def test_bed_board_shows_each_state_its_reason_and_time_in_it():
    story = Story()
    story.at(0).register_bed("A1", unit="acute-a")
    story.register_bed("R1", unit="resus")
    visit = story.arrive("V1")
    story.at(10).assign_bed(visit, "A1")
    story.at(20).bed_fact("R1", BedBlocked(reason="oxygen outlet broken"), "blocked")
    table = fold_into({}, story.envelopes)
    board = bed_board(table.values(), START + timedelta(minutes=50))
    assert list(board) == ["acute-a", "resus"]
    a1, r1 = board["acute-a"][0], board["resus"][0]
    assert (a1["status"], a1["encounter_id"], a1["minutes_in_state"]) == ("occupied", str(visit), 40.0)
    assert (r1["status"], r1["reason"], r1["minutes_in_state"]) == ("blocked", "oxygen outlet broken", 30.0)


def test_unblocking_a_bed_returns_it_to_the_state_it_was_blocked_in():
    story = Story()
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.assign_bed(visit, "A1")
    story.leave(visit, PatientDischarged(disposition="home"))
    story.bed_fact("A1", BedCleaningStarted(), "cleaning")
    story.bed_fact("A1", BedBlocked(reason="deep clean"), "blocked")
    story.bed_fact("A1", BedUnblocked(), "")
    bed = board_of(fold_into({}, story.envelopes))[("bed", "A1")]
    assert (bed["status"], bed["reason"]) == ("cleaning", None)


def test_a_boarder_counts_and_the_longest_boarding_time_runs_on_event_time():
    story = Story()
    story.register_bed("A1")
    first, second = story.at(0).arrive("V1"), story.arrive("V2")
    story.at(30).admit(first)
    story.at(90).admit(second)
    story.at(150).bed_fact("A1", BedBlocked(reason="broken"), "blocked")
    capacity = board_of(fold_into({}, story.envelopes))[("capacity", "ed")]
    assert (capacity["boarders"], capacity["longest_boarding_minutes"]) == (2, 120.0)
    assert capacity["beds_blocked"] == 1


def test_nedocs_is_clamped_and_banded():
    profile = FacilityProfile(inpatient_beds=100)
    assert nedocs(0, 10, 0, 0, 0, profile).score == 0
    overcrowded = nedocs(40, 10, 30, 20, 5, profile)
    assert (overcrowded.score, overcrowded.band) == (200, "dangerously overcrowded")
    # -20 + 85.8 * 14/10 = 100.12 -> 100: still "extremely busy"; 101 would be "overcrowded".
    busy = nedocs(14, 10, 0, 0, 0, profile)
    assert (busy.score, busy.band) == (100, "extremely busy")
    assert nedocs(3, 0, 0, 0, 0, profile).score is None


def test_metrics_fall_on_the_facility_calendar_day():
    story = Story()
    # 05:30 UTC on 2 March is 23:30 on 1 March in Chicago.
    story.now = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)
    visit = story.arrive("V1")
    story.wait(45).triage(visit, 3)  # 00:15 on 2 March in Chicago
    table = fold_into({}, story.envelopes)
    assert table["demo|day|2026-03-01"].arrivals == [datetime(2026, 3, 2, 5, 30, tzinfo=UTC)]
    assert [s.minutes for s in table["demo|day|2026-03-02"].door_to_triage] == [45]
    today = board_of(table)[("metrics", "today")]
    assert (today["day"], today["visits"], today["door_to_triage"]["n"]) == ("2026-03-02", 0, 1)
    assert board_of(table)[("metrics", "rolling24h")]["visits"] == 1


def test_a_cancelled_arrival_leaves_the_waiting_room_the_census_and_the_days_metrics():
    story = Story()
    visit = story.arrive("V1")
    story.wait(5).triage(visit, 3)
    before = fold_into({}, story.envelopes)
    assert board_of(before)[("metrics", "today")]["visits"] == 1
    story.wait(5).leave(visit, ArrivalCancelled(reason="wrong patient"), status="cancelled")
    table = fold_into(before, story.envelopes[-1:])
    board = board_of(table)
    assert ("encounter", str(visit)) not in board
    assert (board[("capacity", "ed")]["census"], board[("capacity", "ed")]["waiting"]) == (0, 0)
    assert board[("metrics", "today")]["visits"] == 0
    assert board[("metrics", "today")]["door_to_triage"]["n"] == 0
    assert "demo|day|2026-03-02" not in table
    assert f"demo|enc|{visit}" not in table  # nothing can be recorded on it any more


def test_a_cancelled_arrival_retracts_samples_of_earlier_days():
    story = Story()
    visit = story.arrive("V1")
    story.wait(30).leave(visit, PatientDischarged(disposition="home"))
    story.wait(60 * 24 * 3).leave(visit, ArrivalCancelled(reason="test patient"), status="cancelled")
    table = fold_into({}, story.envelopes)
    assert not any(key.startswith("demo|day|") for key in table)


def test_a_cancelled_discharge_puts_the_patient_back_and_removes_the_los_sample():
    story = Story()
    visit = story.arrive("V1")
    story.wait(120).leave(visit, PatientDischarged(disposition="home"))
    discharged = fold_into({}, story.envelopes)
    assert board_of(discharged)[("metrics", "today")]["los_discharged"]["n"] == 1
    assert ("encounter", str(visit)) not in board_of(discharged)
    story.wait(10).cancel_discharge(visit)
    correction = story.envelopes[-1]
    result = step({k: discharged.get(k) for k in keys_for(correction)}, correction)
    changed = {(c.kind, c.id): to_builtins(c.value) for c in result.board}
    assert changed[("encounter", str(visit))]["status"] == "waiting"
    assert changed[("metrics", "today")]["los_discharged"]["n"] == 0
    assert changed[("capacity", "ed")]["census"] == 1


def test_details_update_amends_the_board_entry_and_no_identity_reaches_the_board():
    story = Story()
    visit = story.arrive("V1", given="Ana", family="Diaz")
    story.update(visit)  # given name Zoe, complaint abdominal pain
    value = board_of(fold_into({}, story.envelopes))[("encounter", str(visit))]
    assert (value["initials"], value["chief_complaint"]) == ("ZD", "abdominal pain")
    text = str(value)
    assert "Zoe" not in text and "Diaz" not in text and "MRN" not in text


def _book(story: Story, appointment: uuid.UUID, day: int, department: str = "orthopedics") -> None:
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


def test_schedule_counts_follow_each_appointment_through_its_day():
    story = Story()
    first, second, third = (uuid.uuid4() for _ in range(3))
    for appointment in (first, second, third):
        _book(story, appointment, day=3)
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
    _book(story, appointment, day=3)
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


def test_entries_survive_the_changelog_codec():
    story = Story()
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.assign_bed(visit, "A1")
    _book(story, uuid.uuid4(), day=4)
    table = fold_into({}, story.envelopes)
    assert {k: decode_entry(encode_entry(v)) for k, v in table.items()} == table


def test_an_event_documented_late_past_midnight_republishes_the_current_day():
    story = Story()
    first = story.at(0).arrive("V1")  # 00:00 in Chicago on 2 March
    story.now = datetime(2026, 3, 3, 6, 1, tzinfo=UTC)  # 00:01 on 3 March
    story.arrive("V2")
    # Documented now, happened at 23:58 on 2 March.
    story.now = datetime(2026, 3, 3, 5, 58, tzinfo=UTC)
    story.triage(first, 3)
    table = fold_into({}, story.envelopes[:-1])
    late = story.envelopes[-1]
    changed = {
        (c.kind, c.id): to_builtins(c.value) for c in step({k: table.get(k) for k in keys_for(late)}, late).board
    }
    rolling = changed[("metrics", "rolling24h")]
    assert rolling["door_to_triage"]["n"] == 1 and rolling["as_of"] == "2026-03-03T06:01:00+00:00"
    assert board_of(fold_into(table, [late]))[("metrics", "rolling24h")] == rolling


def test_an_admitted_patient_counts_in_ed1_los_and_ed2_boarding_not_in_discharged_los():
    story = Story()
    story.register_bed("A1")
    visit = story.at(0).arrive("V1")
    story.at(20).assign_bed(visit, "A1")
    story.at(100).admit(visit)
    story.at(340).leave(visit, PatientDischarged(disposition="admitted", destination="ward 4"))
    today = board_of(fold_into({}, story.envelopes))[("metrics", "today")]
    # ED-1: arrival 0 -> departure 340; ED-2: admit decision 100 -> departure 340 = 240.
    assert today["los_admitted"] == {"median_minutes": 340.0, "p90_minutes": 340.0, "n": 1}
    assert today["boarding"] == {"median_minutes": 240.0, "p90_minutes": 240.0, "n": 1}
    assert today["los_discharged"]["n"] == 0
