"""Placement on the board, worked by hand: the boarder's request on its
tile, the inpatient units' counts, and the boarding split beside ED-2."""

from __future__ import annotations

from base.inpatient_units import InpatientUnit
from events.catalogue import AdmitDecided, BedNeeds, BedRequested, InpatientBedAssigned, PatientDischarged
from projections.fold import fold_into
from projections.profile import FacilityProfile
from tests.projections import placement_story
from tests.projections.stories import Story, board_of

PROFILE = FacilityProfile(
    timezone="UTC",
    inpatient_beds=10,
    inpatient_units=(
        InpatientUnit(id="4W", name="4 West", level_of_care="ward", staffed_beds=8),
        InpatientUnit(id="ICU", name="ICU", level_of_care="icu", staffed_beds=2),
    ),
)


def test_a_boarder_is_requested_assigned_made_ready_and_leaves():
    story = Story()
    story.register_bed("A1")
    visit = story.arrive("V1")
    story.wait(60).admit(visit)  # AdmitDecided + BedRequested (telemetry) at 07:00
    board = board_of(fold_into({}, story.envelopes, PROFILE), PROFILE)
    tile = board[("encounter", str(visit))]
    assert tile["status"] == "boarding"
    assert tile["bed_request"]["state"] == "requested" and tile["bed_request"]["needs"] == {"telemetry": True}
    assert ("inpatient-unit", "4W") not in board  # no inpatient-bed event yet: the board keeps its bytes

    story.wait(30)
    placement_story.play(story, "assign_inpatient", [visit], 0)  # 4W-1 at 07:30
    story.wait(15)
    placement_story.play(story, "ready_inpatient", [visit], 0)  # ready at 07:45
    board = board_of(fold_into({}, story.envelopes, PROFILE), PROFILE)
    request = board[("encounter", str(visit))]["bed_request"]
    assert (request["state"], request["unit"], request["bed_id"]) == ("ready", "4W", "4W-1")
    assert request["assigned_at"] == "2026-03-02T07:30:00+00:00"
    assert board[("inpatient-unit", "4W")] == {
        "name": "4 West",
        "level_of_care": "ward",
        "staffed": 8,
        "reserved": 0,
        "ready": 1,
        "occupied": 0,
        "free": 7,
    }
    assert board[("inpatient-unit", "ICU")]["free"] == 2

    story.wait(45).leave(visit, PatientDischarged(disposition="admitted"))  # 08:30
    board = board_of(fold_into({}, story.envelopes, PROFILE), PROFILE)
    assert ("encounter", str(visit)) not in board
    assert (board[("inpatient-unit", "4W")]["occupied"], board[("inpatient-unit", "4W")]["free"]) == (1, 7)
    today = board[("metrics", "today")]
    assert today["decision_to_request"] == {"median_minutes": 0.0, "p90_minutes": 0.0, "n": 1}
    assert today["request_to_assigned"] == {"median_minutes": 30.0, "p90_minutes": 30.0, "n": 1}
    assert today["assigned_to_departure"] == {"median_minutes": 60.0, "p90_minutes": 60.0, "n": 1}
    assert today["boarding"]["median_minutes"] == 90.0  # ED-2: decision to departure


def test_the_split_is_absent_without_requests_and_counts_a_late_request():
    story = Story()
    visit = story.arrive("V1")
    story.wait(10).record(visit, AdmitDecided(), "Encounter")  # an admission recorded before requests existed
    board = board_of(fold_into({}, story.envelopes, PROFILE), PROFILE)
    assert "decision_to_request" not in board[("metrics", "today")]
    assert "bed_request" not in board[("encounter", str(visit))]
    story.wait(20).record(visit, BedRequested(level_of_care="icu", needs=BedNeeds()), "Encounter")
    story.wait(100).record(visit, InpatientBedAssigned(unit="ICU", bed_id="ICU-1"), "Encounter")
    today = board_of(fold_into({}, story.envelopes, PROFILE), PROFILE)[("metrics", "today")]
    assert today["decision_to_request"]["median_minutes"] == 20.0
    assert today["request_to_assigned"]["median_minutes"] == 100.0
    assert "assigned_to_departure" not in today
