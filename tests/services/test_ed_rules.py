"""The rules of the floor, against each event store backend."""

from __future__ import annotations

import pytest

from events.catalogue import Person
from services.errors import (
    AlreadyExists,
    BedNotAvailable,
    EncounterClosed,
    Invalid,
    InvalidTransition,
    NotFound,
    NotYetArrived,
    PatientAlreadyInBed,
)


def fact_types(outcome):
    return [e["type"] for e in outcome.events]


@pytest.fixture
def ward(hospital, clock):
    for bed in ("A1", "A2"):
        hospital.register_bed(clock.meta(), bed, "Acute")
    return hospital


def arrive(hospital, clock, visit="V1"):
    return hospital.arrive(
        clock.meta(role="intake"), visit, Person(age_years=40, sex="F"), chief_complaint="chest pain"
    ).id


def test_triage_before_arrival_time_is_refused(ward, clock):
    encounter = arrive(ward, clock)
    early = clock.meta(at=clock.now.replace(hour=1))
    with pytest.raises(NotYetArrived):
        ward.triage(early, encounter, 2)


def test_esi_outside_one_to_five_is_invalid(ward, clock):
    encounter = arrive(ward, clock)
    with pytest.raises(Invalid):
        ward.triage(clock.meta(), encounter, 6)


def test_unknown_visit_is_not_found(ward, clock):
    with pytest.raises(NotFound):
        ward.triage(clock.meta(), "not-a-visit", 3)


def test_same_visit_number_twice_is_refused(ward, clock):
    arrive(ward, clock)
    with pytest.raises(AlreadyExists):
        arrive(ward, clock)


def test_bed_holds_one_patient(ward, clock):
    first, second = arrive(ward, clock, "V1"), arrive(ward, clock, "V2")
    ward.assign_bed(clock.meta(), first, "A1")
    with pytest.raises(BedNotAvailable):
        ward.assign_bed(clock.meta(), second, "A1")


def test_moving_to_another_bed_is_a_transfer_that_leaves_the_old_bed_dirty(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    outcome = ward.assign_bed(clock.meta(), encounter, "A2")
    assert fact_types(outcome) == ["PatientTransferred", "BedOccupied", "BedReleased"]
    assert ward.bed("fac-1", "A1").status == "dirty"
    assert ward.encounter("fac-1", encounter).bed_id == "A2"


def test_same_bed_again_is_refused(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    with pytest.raises(PatientAlreadyInBed):
        ward.assign_bed(clock.meta(), encounter, "A1")


def test_dirty_bed_cannot_be_assigned_until_cleaned(ward, clock):
    first, second = arrive(ward, clock, "V1"), arrive(ward, clock, "V2")
    ward.assign_bed(clock.meta(), first, "A1")
    ward.discharge(clock.meta(role="provider"), first, "home")
    with pytest.raises(BedNotAvailable, match="cleaned"):
        ward.assign_bed(clock.meta(), second, "A1")
    ward.start_cleaning(clock.meta(), "A1")
    ward.finish_cleaning(clock.meta(), "A1")
    assert fact_types(ward.assign_bed(clock.meta(), second, "A1")) == ["BedAssigned", "BedOccupied"]


def test_blocked_bed_cannot_be_assigned_and_unblocks_to_its_previous_state(ward, clock):
    encounter = arrive(ward, clock)
    ward.block_bed(clock.meta(), "A1", "broken monitor")
    with pytest.raises(BedNotAvailable, match="blocked"):
        ward.assign_bed(clock.meta(), encounter, "A1")
    ward.unblock_bed(clock.meta(), "A1")
    assert ward.bed("fac-1", "A1").status == "available"


def test_occupied_bed_cannot_be_blocked(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    with pytest.raises(BedNotAvailable):
        ward.block_bed(clock.meta(), "A1", "spill")


def test_discharge_releases_the_bed_in_the_same_save(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    outcome = ward.discharge(clock.meta(role="provider"), encounter, "home")
    assert fact_types(outcome) == ["PatientDischarged", "BedReleased"]


def test_finished_visit_accepts_no_moves_but_accepts_corrections(ward, clock):
    from events.catalogue import PatientDetailsUpdated

    encounter = arrive(ward, clock)
    ward.discharge(clock.meta(role="provider"), encounter, "home")
    with pytest.raises(EncounterClosed):
        ward.assign_bed(clock.meta(), encounter, "A1")
    with pytest.raises(EncounterClosed):
        ward.triage(clock.meta(), encounter, 3)
    ward.update_details(clock.meta(), encounter, PatientDetailsUpdated(chief_complaint="abdominal pain"))
    assert fact_types(ward.cancel_discharge(clock.meta(), encounter, "wrong patient")) == ["DischargeCancelled"]
    ward.triage(clock.meta(), encounter, 3)


def test_lwbs_only_before_a_provider_saw_the_patient(ward, clock):
    seen, unseen = arrive(ward, clock, "V1"), arrive(ward, clock, "V2")
    ward.assign_provider(clock.meta(role="provider"), seen, "dr-1")
    with pytest.raises(InvalidTransition):
        ward.leave_without_being_seen(clock.meta(), seen)
    assert fact_types(ward.leave_without_being_seen(clock.meta(), unseen)) == ["PatientLeftWithoutBeingSeen"]


def test_cancelled_arrival_frees_its_bed(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    assert fact_types(ward.cancel_arrival(clock.meta(), encounter, "duplicate registration")) == [
        "ArrivalCancelled",
        "BedReleased",
    ]


def test_release_bed_moves_the_patient_out_and_leaves_the_bed_dirty(ward, clock):
    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1")
    assert fact_types(ward.release_bed(clock.meta(), "A1")) == ["BedVacated", "BedReleased"]
    assert ward.encounter("fac-1", encounter).status == "waiting"


def test_other_facility_cannot_see_the_visit(ward, clock):
    encounter = arrive(ward, clock)
    with pytest.raises(NotFound):
        ward.triage(clock.meta(facility_id="fac-2"), encounter, 3)


def test_rejected_command_records_nothing(ward, clock):
    encounter = arrive(ward, clock)
    before = ward.recorder.max_notification_id()
    with pytest.raises(Invalid):
        ward.triage(clock.meta(), encounter, 0)
    with pytest.raises(NotFound):
        ward.assign_bed(clock.meta(), encounter, "Z9")
    assert ward.recorder.max_notification_id() == before


def test_idempotency_key_returns_first_result_and_records_nothing_new(ward, clock):
    encounter = arrive(ward, clock)
    first = ward.assign_bed(clock.meta(), encounter, "A1", idempotency_key="k-1", request={"bed": "A1"})
    before = ward.recorder.max_notification_id()
    again = ward.assign_bed(clock.meta(), encounter, "A1", idempotency_key="k-1", request={"bed": "A1"})
    assert again == first
    assert ward.recorder.max_notification_id() == before


def test_idempotency_key_reused_for_another_request_is_a_conflict(ward, clock):
    from services.errors import IdempotencyKeyReused

    encounter = arrive(ward, clock)
    ward.assign_bed(clock.meta(), encounter, "A1", idempotency_key="k-1", request={"bed": "A1"})
    with pytest.raises(IdempotencyKeyReused):
        ward.assign_bed(clock.meta(), encounter, "A2", idempotency_key="k-1", request={"bed": "A2"})
