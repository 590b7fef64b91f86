"""One morning in a four-bed ED, with every figure worked out by hand.

Times are minutes after 06:00 UTC (midnight in Chicago, CST, UTC-6), so the
whole story falls on the facility's calendar day 2026-03-02.
"""

from __future__ import annotations

import pytest
from msgspec import to_builtins

from events.catalogue import ArrivalCancelled, BedCleaned, PatientDischarged, PatientLeftWithoutBeingSeen
from projections.capacity import NEDOCS_VARIANT
from projections.fold import board_snapshot, fold_into
from projections.profile import FacilityProfile
from tests.projections.stories import Story

PROFILE = FacilityProfile(timezone="America/Chicago", inpatient_beds=300, ventilated=1)


@pytest.fixture(scope="module")
def board():
    s = Story()
    v = s.visit_id
    script = [
        (0, lambda: [s.register_bed(b) for b in ("A1", "A2", "A3", "A4")]),
        (0, lambda: s.arrive("V1")),
        (5, lambda: s.triage(v("V1"), 2)),
        (5, lambda: s.arrive("V6")),
        (8, lambda: s.leave(v("V6"), ArrivalCancelled(reason="registered twice"), status="cancelled")),
        (10, lambda: s.arrive("V2")),
        (15, lambda: s.arrive("V3")),
        (20, lambda: s.provider(v("V1"))),
        (20, lambda: s.triage(v("V3"), 4)),
        (25, lambda: s.triage(v("V2"), 3)),
        (30, lambda: s.arrive("V4")),
        (30, lambda: s.assign_bed(v("V1"), "A1")),
        (40, lambda: s.assign_bed(v("V2"), "A2")),
        (40, lambda: s.triage(v("V4"), 3)),
        (50, lambda: s.provider(v("V4"))),
        (70, lambda: s.provider(v("V2"))),
        (75, lambda: s.assign_bed(v("V4"), "A3")),
        (100, lambda: s.leave(v("V3"), PatientLeftWithoutBeingSeen())),
        (120, lambda: s.admit(v("V2"))),
        (150, lambda: s.leave(v("V1"), PatientDischarged(disposition="home"))),
        (200, lambda: s.arrive("V5")),
        (210, lambda: s.leave(v("V4"), PatientDischarged(disposition="home"))),
        (240, lambda: s.bed_fact("A1", BedCleaned(), "available")),
    ]
    for minute, action in script:
        s.at(minute)
        action()
    table = fold_into({}, s.envelopes, PROFILE)
    return {(c.kind, c.id): to_builtins(c.value) for c in board_snapshot(table.items(), PROFILE)}


def test_capacity_counts_the_two_patients_still_in_the_department(board):
    capacity = board[("capacity", "ed")]
    # V2 boards in A2; V5 waits untriaged. V3 left, V1 and V4 went home, V6 never happened.
    assert (capacity["census"], capacity["waiting"], capacity["untriaged"], capacity["boarders"]) == (2, 1, 1, 1)
    # A1 cleaned at 240, A2 occupied, A3 dirty since V4 left at 210, A4 never used.
    assert (capacity["beds_total"], capacity["beds_occupied"], capacity["beds_available"], capacity["beds_dirty"]) == (
        4,
        1,
        2,
        1,
    )
    # V2's admit was decided at 120; the last event is at 240: 120 minutes.
    assert capacity["longest_boarding_minutes"] == 120.0


def test_nedocs_is_worked_out_by_hand(board):
    nedocs = board[("capacity", "ed")]["nedocs"]
    # -20 + 85.8*(2 patients/4 beds) + 600*(1 boarder/300 inpatient beds) + 13.4*(1 ventilated)
    #     + 0.93*(2 h longest boarding) + 5.64*(0.75 h: V4, the last bedded, waited 30 -> 75)
    # = -20 + 42.9 + 2 + 13.4 + 1.86 + 4.23 = 44.39 -> 44, "busy" (21-60)
    assert nedocs["score"] == 44
    assert nedocs["band"] == "busy"
    assert nedocs["variant"] == NEDOCS_VARIANT
    assert nedocs["inputs"]["last_bedded_wait_hours"] == 0.75


def test_flow_metrics_are_worked_out_by_hand(board):
    today = board[("metrics", "today")]
    assert today["day"] == "2026-03-02"
    # door-to-provider: V1 0->20 = 20, V4 30->50 = 20, V2 10->70 = 60; sorted [20, 20, 60]
    # median 20; p90 at rank 0.9*(3-1) = 1.8: 20 + 0.8*(60-20) = 52
    assert today["door_to_provider"] == {"median_minutes": 20.0, "p90_minutes": 52.0, "n": 3}
    # door-to-triage: V1 5, V3 5, V4 10, V2 15; median (5+10)/2 = 7.5; p90 at rank 2.7: 10 + 0.7*5 = 13.5
    assert today["door_to_triage"] == {"median_minutes": 7.5, "p90_minutes": 13.5, "n": 4}
    # LOS of discharged: V1 0->150 = 150, V4 30->210 = 180; median 165; p90 at rank 0.9: 150 + 0.9*30 = 177
    assert today["los_discharged"] == {"median_minutes": 165.0, "p90_minutes": 177.0, "n": 2}
    # Nobody admitted has left yet: no ED-1 or ED-2 sample.
    assert today["los_admitted"]["n"] == 0 and today["boarding"]["n"] == 0
    # LWBS: V3 of 5 visits (V6's cancelled arrival does not count) = 0.2
    assert (today["visits"], today["lwbs"], today["lwbs_rate"]) == (5, 1, 0.2)
    assert board[("metrics", "rolling24h")] == {k: v for k, v in today.items() if k != "day"}


def test_the_board_holds_only_the_patients_still_here(board):
    visits = {str(Story().visit_id(n)): n for n in ("V1", "V2", "V3", "V4", "V5", "V6")}
    encounters = {visits[id_]: v for (kind, id_), v in board.items() if kind == "encounter"}
    assert set(encounters) == {"V2", "V5"}
    assert encounters["V2"]["status"] == "boarding" and encounters["V2"]["bed_id"] == "A2"
    assert encounters["V5"]["status"] == "waiting" and encounters["V5"]["esi"] is None
