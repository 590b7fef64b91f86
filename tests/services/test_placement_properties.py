"""Properties of the write model's bed requests over random command
sequences (hypothesis), each refused command recording nothing: a request
never holds two inpatient beds, a bed never holds two patients, and a
withdrawn admission leaves no open request."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base.settings import Settings
from events.catalogue import Person
from services.ed.placement_rules import OPEN
from services.errors import DomainError
from services.hospital import Hospital
from tests.conftest import Clock

VISITS = ("V1", "V2", "V3")
BEDS = ("4W-1", "4W-2", "ICU-1")
COMMANDS = ("assign", "assign", "ready", "cancel_request", "cancel_admission") + (
    "admit",
    "request",
    "leave",
    "undo_leave",
)

commands = st.lists(st.tuples(st.sampled_from(COMMANDS), st.sampled_from(VISITS), st.sampled_from(BEDS)), max_size=25)


def run(hospital: Hospital, clock: Clock, command: str, visit: str, bed: str) -> None:
    meta = clock.meta()
    if command == "assign":
        hospital.assign_inpatient_bed(meta, visit, bed.split("-")[0], bed)
    elif command == "ready":
        hospital.inpatient_bed_ready(meta, visit)
    elif command == "cancel_request":
        hospital.cancel_bed_request(meta, visit, "declined")
    elif command == "cancel_admission":
        hospital.cancel_admission(meta, visit, "improved")
    elif command == "admit":
        hospital.decide_admit(meta, visit)
    elif command == "request":
        hospital.request_bed(meta, visit)
    elif command == "leave":
        hospital.discharge(meta, visit, "admitted" if bed != "ICU-1" else "home")
    elif command == "undo_leave":
        hospital.cancel_discharge(meta, visit, "in error")


def check(hospital: Hospital, visits: dict[str, str]) -> None:
    holders = {}
    for bed_id in BEDS:
        bed = hospital.inpatient_bed("fac-1", bed_id)
        if bed is not None and bed.status != "free":
            holders[bed_id] = (bed.status, bed.encounter_id)
    holding = {}
    for encounter_id in visits.values():
        encounter = hospital.encounter("fac-1", encounter_id)
        request = encounter.bed_request
        if request is not None and request.state in ("assigned", "ready"):
            holding[request.bed_id] = encounter_id
        if not encounter.admit_decided and request is not None:
            assert request.state not in OPEN, "a withdrawn admission left its request open"
    held = {b: who for b, (status, who) in holders.items() if status in ("reserved", "ready")}
    # Each held bed is held for exactly the request that has it (one bed per request, one patient per bed).
    assert held == holding
    assert len(set(held.values())) == len(held)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_requests_never_hold_two_beds_and_beds_never_two_patients(plays):
    with tempfile.TemporaryDirectory() as tmp:
        hospital, clock = Hospital(Settings(data_dir=Path(tmp), event_store="sqlite")), Clock()
        try:
            visits = {v: hospital.arrive(clock.meta(), v, Person()).id for v in VISITS}
            hospital.decide_admit(clock.meta(), visits["V1"])
            for command, visit, bed in plays:
                position = hospital.recorder.max_notification_id()
                try:
                    run(hospital, clock, command, visits[visit], bed)
                except DomainError:
                    assert hospital.recorder.max_notification_id() == position, "a refusal recorded something"
                check(hospital, visits)
        finally:
            hospital.close()
