"""Bed requests on the write side: an admit decision opens one; it is
assigned a bed, made ready and completed by the patient leaving; a request
never holds two beds and an inpatient bed never holds two patients."""

from __future__ import annotations

import pytest

from events.catalogue import BedNeeds, Person
from services.errors import BedNotAvailable, EncounterClosed, InvalidTransition


def types(outcome):
    return [e["type"] for e in outcome.events]


def admitted(hospital, clock, visit="V1"):
    encounter = hospital.arrive(clock.meta(role="intake"), visit, Person(age_years=70, sex="F")).id
    needs = BedNeeds(telemetry=True, isolation="contact")
    opened = hospital.decide_admit(clock.meta(role="provider"), encounter, "ward", "4W", needs=needs)
    assert types(opened) == ["AdmitDecided", "BedRequested"]
    return encounter


def holder(hospital, bed_id):
    bed = hospital.inpatient_bed("fac-1", bed_id)
    return None if bed is None or bed.status == "free" else (bed.status, bed.encounter_id)


def test_a_request_moves_from_requested_to_left_with_its_bed(hospital, clock):
    visit = admitted(hospital, clock)
    assert hospital.encounter("fac-1", visit).bed_request.state == "requested"
    assigned = hospital.assign_inpatient_bed(clock.meta(role="bed-manager"), visit, "4W", "4W-01")
    assert types(assigned) == ["InpatientBedAssigned", "InpatientBedReserved"]
    assert types(hospital.inpatient_bed_ready(clock.meta(), visit)) == ["InpatientBedReady", "InpatientBedPrepared"]
    assert holder(hospital, "4W-01") == ("ready", visit)
    left = hospital.discharge(clock.meta(role="provider"), visit, "admitted", "4W-01")
    assert types(left) == ["PatientDischarged", "InpatientBedOccupied"]
    assert hospital.encounter("fac-1", visit).bed_request.state == "left"
    assert holder(hospital, "4W-01") == ("occupied", visit)
    # The inpatient goes home later: the bed is free again.
    assert types(hospital.release_inpatient_bed(clock.meta(), "4W-01", "discharged home")) == ["InpatientBedReleased"]
    assert holder(hospital, "4W-01") is None


def test_reassigning_frees_the_first_bed_in_the_same_save(hospital, clock):
    visit = admitted(hospital, clock)
    hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-01")
    moved = hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-02")
    assert types(moved) == ["InpatientBedAssigned", "InpatientBedReleased", "InpatientBedReserved"]
    assert holder(hospital, "4W-01") is None and holder(hospital, "4W-02") == ("reserved", visit)
    with pytest.raises(InvalidTransition, match="already assigned"):
        hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-02")


def test_a_bed_held_for_one_patient_is_refused_to_another_and_nothing_is_recorded(hospital, clock):
    first, second = admitted(hospital, clock, "V1"), admitted(hospital, clock, "V2")
    hospital.assign_inpatient_bed(clock.meta(), first, "4W", "4W-01")
    version = hospital.encounter("fac-1", second).version
    with pytest.raises(BedNotAvailable, match="held for another patient"):
        hospital.assign_inpatient_bed(clock.meta(), second, "4W", "4W-01")
    assert hospital.encounter("fac-1", second).version == version
    assert holder(hospital, "4W-01") == ("reserved", first)


def test_cancelling_the_admission_closes_the_request_and_frees_its_bed(hospital, clock):
    visit = admitted(hospital, clock)
    hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-01")
    cancelled = hospital.cancel_admission(clock.meta(role="provider"), visit, "improved; going home")
    assert types(cancelled) == ["AdmissionCancelled", "InpatientBedReleased"]
    encounter = hospital.encounter("fac-1", visit)
    assert encounter.bed_request.state == "cancelled" and not encounter.admit_decided
    assert holder(hospital, "4W-01") is None
    with pytest.raises(InvalidTransition, match="no open bed request"):
        hospital.inpatient_bed_ready(clock.meta(), visit)
    # A new decision opens a new request.
    assert types(hospital.decide_admit(clock.meta(), visit, "icu")) == ["AdmitDecided", "BedRequested"]


def test_any_other_departure_closes_the_request(hospital, clock):
    visit = admitted(hospital, clock)
    hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-01")
    assert types(hospital.discharge(clock.meta(), visit, "transferred", "other hospital")) == [
        "PatientDischarged",
        "InpatientBedReleased",
    ]
    assert hospital.encounter("fac-1", visit).bed_request.state == "cancelled"
    with pytest.raises(EncounterClosed):
        hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-03")


def test_a_cancelled_discharge_holds_the_bed_again(hospital, clock):
    visit = admitted(hospital, clock)
    hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-01")
    hospital.discharge(clock.meta(), visit, "admitted", "4W-01")
    assert types(hospital.cancel_discharge(clock.meta(), visit, "wrong patient")) == [
        "DischargeCancelled",
        "InpatientBedReserved",
    ]
    assert hospital.encounter("fac-1", visit).bed_request.state == "assigned"
    assert holder(hospital, "4W-01") == ("reserved", visit)


def test_requests_need_an_admission_and_one_at_a_time(hospital, clock):
    visit = hospital.arrive(clock.meta(), "V9", Person()).id
    with pytest.raises(InvalidTransition, match="decide the admission first"):
        hospital.request_bed(clock.meta(), visit)
    hospital.decide_admit(clock.meta(), visit)
    with pytest.raises(InvalidTransition, match="already has an open bed request"):
        hospital.request_bed(clock.meta(), visit)
    changed = hospital.change_bed_request(
        clock.meta(), visit, "step-down", "3S", BedNeeds(bariatric=True), "needs tele"
    )
    assert types(changed) == ["BedRequestChanged"]
    assert hospital.encounter("fac-1", visit).bed_request.level_of_care == "step-down"
    hospital.cancel_bed_request(clock.meta(), visit, "family declined")
    assert types(hospital.request_bed(clock.meta(), visit, "ward")) == ["BedRequested"]
    with pytest.raises(InvalidTransition, match="no inpatient bed is assigned"):
        hospital.inpatient_bed_ready(clock.meta(), visit)
    with pytest.raises(InvalidTransition, match="held bed is freed"):
        hospital.assign_inpatient_bed(clock.meta(), visit, "4W", "4W-05")
        hospital.release_inpatient_bed(clock.meta(), "4W-05", "x")


def test_racing_assignments_of_one_bed_leave_one_winner(hospital, clock):
    """Each loser of the race decides again, finds the bed held and is refused (409)."""
    import threading

    visits = [admitted(hospital, clock, f"R{n}") for n in range(4)]
    barrier, results = threading.Barrier(len(visits)), {}
    meta = clock.meta()

    def assign(visit):
        barrier.wait()
        try:
            hospital.assign_inpatient_bed(meta, visit, "ICU", "ICU-01")
            results[visit] = "won"
        except BedNotAvailable:
            results[visit] = "refused"

    threads = [threading.Thread(target=assign, args=(v,)) for v in visits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["refused"] * 3 + ["won"]
    winner = next(v for v, r in results.items() if r == "won")
    assert holder(hospital, "ICU-01") == ("reserved", winner)
    assert [hospital.encounter("fac-1", v).bed_request.state for v in visits].count("assigned") == 1
