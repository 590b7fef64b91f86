"""The fold's rules for visits, one at a time: the waiting room, corrections and
what reaches the board."""

from __future__ import annotations

from datetime import timedelta

from msgspec import to_builtins

from events.catalogue import (
    ArrivalCancelled,
    PatientDischarged,
)
from projections.fold import fold_into, keys_for, step
from projections.waiting import waiting_queue
from tests.projections.stories import START, Story, board_of


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


def test_the_patients_nurse_reaches_the_board_and_is_absent_until_assigned():
    story = Story()
    visit = story.at(0).arrive("V1")
    key = ("encounter", str(visit))
    assert "nurse_id" not in board_of(fold_into({}, story.envelopes))[key]  # same bytes as before nurses
    story.at(5).nurse(visit, "rn-lee")
    story.at(9).nurse(visit, "rn-ortiz")
    story.at(10).provider(visit)
    shown = board_of(fold_into({}, story.envelopes))[key]
    assert (shown["nurse_id"], shown["provider_id"]) == ("rn-ortiz", "ed-okafor")
