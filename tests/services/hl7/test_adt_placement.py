"""An A01 or A02 naming an inpatient bed completes the visit's bed request:
the patient left the ED for that bed (services/hl7/placement.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from events.envelope import Actor
from services.recording import Meta
from tests.services.hl7.messages import adt
from tests.services.hl7.test_adt_rules import VISIT, code_of, intake, send

__all__ = ["intake"]
LATER = "20260302090000-0600"  # the move, after the bed was placed at 08:30


def request_state(hospital) -> str:
    request = hospital.encounter("FAC1", VISIT).bed_request
    assert request is not None
    return request.state


def inpatient_bed(hospital, bed_id: str):
    bed = hospital.inpatient_bed("FAC1", bed_id)
    assert bed is not None
    return bed


def setup_meta(facility_id: str) -> Meta:
    """08:30 -06:00: after the A04's arrival, before the A01/A02 that follow."""
    return Meta(
        facility_id=facility_id,
        occurred_at=datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
        actor=Actor(id="bm", role="admin"),
    )


def test_an_a02_to_the_assigned_inpatient_bed_completes_the_request(intake):
    hospital = intake.hospital
    send(intake, adt("A04"))
    hospital.decide_admit(setup_meta("FAC1"), VISIT, "ward", "4W")
    hospital.assign_inpatient_bed(setup_meta("FAC1"), VISIT, "4W", "4W-07")
    assert code_of(send(intake, adt("A02", "C2", bed="4W^^07", patient_class="I", evn=LATER))) == "AA"
    encounter = hospital.encounter("FAC1", VISIT)
    assert (encounter.status, encounter.disposition, request_state(hospital)) == ("finished", "admitted", "left")
    bed = inpatient_bed(hospital, "4W-07")
    assert (bed.status, bed.encounter_id) == ("occupied", VISIT)
    assert hospital.bed("FAC1", "ED-1").status == "dirty"  # the ED bed is released as on any departure
    # Resent: the same steps are not recorded twice.
    assert code_of(send(intake, adt("A02", "C2", bed="4W^^07", patient_class="I", evn=LATER))) == "AA"
    assert inpatient_bed(hospital, "4W-07").version == bed.version


def test_an_a01_naming_an_inpatient_bed_on_a_decided_visit_assigns_it_and_completes(intake):
    hospital = intake.hospital
    send(intake, adt("A04"))
    hospital.decide_admit(setup_meta("FAC1"), VISIT, "icu", "ICU")
    hospital.assign_inpatient_bed(setup_meta("FAC1"), VISIT, "ICU", "ICU-02")
    # The hospital put the patient in another ICU bed than the one assigned: PV1-3 is the truth.
    hospital.cancel_bed_request(setup_meta("FAC1"), VISIT, "bed changed by the unit")
    hospital.request_bed(setup_meta("FAC1"), VISIT, "icu", "ICU")
    hospital.assign_inpatient_bed(setup_meta("FAC1"), VISIT, "ICU", "ICU-03")
    assert code_of(send(intake, adt("A01", "C2", bed="ICU^^03", patient_class="I", evn=LATER))) == "AA"
    assert request_state(hospital) == "left"
    assert inpatient_bed(hospital, "ICU-03").status == "occupied"
    assert inpatient_bed(hospital, "ICU-02").status == "free"


def test_an_a02_to_an_unknown_bed_is_still_refused(intake):
    send(intake, adt("A04"))
    assert code_of(send(intake, adt("A02", "C2", bed="4W^^07"))) == "AE"
