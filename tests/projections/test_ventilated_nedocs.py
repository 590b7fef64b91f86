"""NEDOCS's ventilator term, worked out by hand: ventilated patients counted
while they are in the department, and no longer once they leave."""

from __future__ import annotations

from events.catalogue import PatientDischarged
from projections.fold import fold_into
from projections.profile import FacilityProfile
from tests.projections.stories import Story, board_of

PROFILE = FacilityProfile(timezone="America/Chicago", inpatient_beds=300)


def story() -> Story:
    s = Story()
    v = s.visit_id
    script = [
        (0, lambda: [s.register_bed(b) for b in ("A1", "A2", "A3", "A4")]),
        (0, lambda: [s.arrive(n) for n in ("V1", "V2", "V3")]),
        (5, lambda: s.ventilate(v("V1"))),  # V1 on
        (10, lambda: s.ventilate(v("V2"))),  # V2 on
        (10, lambda: s.assign_bed(v("V1"), "A1")),  # waited 10 min
        (20, lambda: s.assign_bed(v("V2"), "A2")),  # waited 20 min: the last bedded
        (30, lambda: s.ventilate(v("V2"))),  # V2 off
        (40, lambda: s.ventilate(v("V2"))),  # V2 on again
        (60, lambda: s.ventilate(v("V3"))),  # V3 on
        (90, lambda: s.leave(v("V3"), PatientDischarged(disposition="admitted", destination="ICU-4"))),
        (120, lambda: s.arrive("V4")),
    ]
    for minute, action in script:
        s.at(minute)
        action()
    return s


def test_nedocs_counts_the_two_ventilated_patients_still_in_the_department():
    s = story()
    board = board_of(fold_into({}, s.envelopes, PROFILE), PROFILE)
    nedocs = board[("capacity", "ed")]["nedocs"]
    # V1 and V2 (last ventilation event a start) are here; V3 left for the ICU on the ventilator.
    assert (nedocs["inputs"]["ed_patients"], nedocs["inputs"]["ventilated"]) == (3, 2)
    # -20 + 85.8*(3 patients/4 beds) + 600*(0 boarders/300) + 13.4*(2 ventilated)
    #     + 0.93*(0 h boarding) + 5.64*(1/3 h: V2 waited 20 minutes for A2)
    # = -20 + 64.35 + 0 + 26.8 + 0 + 1.88 = 73.03 -> 73, "extremely busy" (61-100)
    assert (nedocs["score"], nedocs["band"]) == (73, "extremely busy")
    encounters = {id_: value for (kind, id_), value in board.items() if kind == "encounter"}
    assert encounters[str(s.visit_id("V1"))]["ventilated"] is True
    # Not ventilated: the field is left out, so such a tile's bytes are what they always were.
    assert "ventilated" not in encounters[str(s.visit_id("V4"))]


def test_a_cancelled_discharge_brings_the_ventilated_patient_back_into_the_count():
    s = story()
    s.at(130)
    s.cancel_discharge(s.visit_id("V3"))
    nedocs = board_of(fold_into({}, s.envelopes, PROFILE), PROFILE)[("capacity", "ed")]["nedocs"]
    assert (nedocs["inputs"]["ed_patients"], nedocs["inputs"]["ventilated"]) == (4, 3)
    # -20 + 85.8*(4/4) + 13.4*3 + 5.64/3 = -20 + 85.8 + 40.2 + 1.88 = 107.88 -> 108, "overcrowded" (101-140)
    assert (nedocs["score"], nedocs["band"]) == (108, "overcrowded")


def test_a_profile_count_of_patients_ventilated_elsewhere_adds_to_the_recorded_ones():
    s = story()
    profile = FacilityProfile(timezone="America/Chicago", inpatient_beds=300, ventilated=1)
    nedocs = board_of(fold_into({}, s.envelopes, profile), profile)[("capacity", "ed")]["nedocs"]
    # 73.03 + 13.4 = 86.43 -> 86
    assert (nedocs["inputs"]["ventilated"], nedocs["score"]) == (3, 86)
