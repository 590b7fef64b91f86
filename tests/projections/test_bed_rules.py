"""The fold's rules for beds and capacity: the bed board, blocking, boarders and NEDOCS."""

from __future__ import annotations

from datetime import timedelta

from events.catalogue import (
    BedBlocked,
    BedCleaningStarted,
    BedUnblocked,
    PatientDischarged,
)
from projections.beds import bed_board
from projections.capacity import nedocs
from projections.fold import fold_into
from projections.profile import FacilityProfile
from tests.projections.stories import START, Story, board_of


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
