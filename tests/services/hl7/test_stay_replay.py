"""The ms-fhir-converter ADT files tell one stay (A04 -> A01 -> A02 -> A03 ->
A13 -> A11). Replayed in that order over MLLP, each step leaves the visit and
its bed where the message says, on each event store backend."""

from __future__ import annotations

from events.catalogue import (
    AdmitDecided,
    ArrivalCancelled,
    BedAssigned,
    BedOccupied,
    BedReleased,
    BedRequested,
    DischargeCancelled,
    PatientArrived,
    PatientDischarged,
    ProviderAssigned,
)
from services.ed.application import encounter_id_for
from tests.services.hl7.conftest import ack_code, facts, sample, segments

FACILITY = "GHHSFacility"
VISIT = str(encounter_id_for(FACILITY, "40007716"))
BED_03 = "HUH AE OMU-Bed 03"


def stay(name: str) -> bytes:
    return sample(f"ms-fhir-converter__ADT-{name}-01.hl7")


def new_facts(app, before: int) -> list[type]:
    return [type(f) for f in facts(app)[before:]]


def test_the_sample_stay_replays_as_one_consistent_visit(running, tmp_path):
    app = running.app

    def step(name: str) -> list[type]:
        before = len(facts(app))
        (reply,) = running.send(tmp_path, stay(name))
        assert ack_code(reply) == "AA", reply
        return new_facts(app, before)

    def visit():
        return app.encounter(FACILITY, VISIT)

    # PV1-7, the attending doctor, becomes the visit's provider (once: later messages name the same one).
    assert step("A04") == [PatientArrived, BedAssigned, BedOccupied, ProviderAssigned]
    assert (visit().status, visit().bed_id, visit().provider_id) == ("roomed", BED_03, "1122334")
    patient = next(f for f in facts(app) if isinstance(f, PatientArrived)).patient
    assert (patient.mrn, patient.family_name, patient.given_name, patient.sex) == ("PATID1234", "EVERYMAN", "ADAM", "M")
    assert str(patient.birth_date) == "1988-08-18"

    assert step("A01") == [AdmitDecided, BedRequested]  # the decision opens a bed request
    assert visit().admit_decided and visit().bed_id == BED_03

    assert step("A02") == []  # PV1-3 is the bed the patient is already in
    assert visit().bed_id == BED_03

    assert step("A03") == [PatientDischarged, BedReleased]
    assert (visit().status, visit().disposition) == ("finished", "admitted")
    assert app.bed(FACILITY, BED_03).status == "dirty"

    assert step("A13") == [DischargeCancelled]
    assert (visit().status, visit().disposition) == ("waiting", None)

    assert step("A11") == [ArrivalCancelled]
    assert visit().status == "cancelled"


def test_every_stay_fact_names_the_interface_as_its_actor(running, tmp_path):
    running.send(tmp_path, stay("A04"), stay("A01"))
    stored = [running.app.mapper.to_domain_event(n) for n in running.app.recorder.select_notifications(1, 1000)]
    from_feed = [e.meta for e in stored if getattr(e, "meta", None) and e.meta.actor.id != "test-setup"]
    assert len(from_feed) == 6  # A04: arrival, bed (two records), provider (PV1-7); A01: decision, bed request
    assert {(m.actor.id, m.actor.role, m.correlation_id) for m in from_feed} == {
        ("hl7:ADTApp", "interface", "hl7:ADTApp:MSG00001")
    }
    assert {m.occurred_at.isoformat() for m in from_feed} == {"2021-08-17T15:19:43.400000+02:00"}  # EVN-6


def test_a_resent_message_gets_the_same_ack_and_records_nothing(running, tmp_path):
    (first,) = running.send(tmp_path, stay("A04"))
    recorded = running.events()

    (again,) = running.send(tmp_path, stay("A04"))

    assert again == first
    assert running.events() == recorded


def test_a_transfer_of_a_cancelled_visit_gets_ae_naming_the_visit_number(running, tmp_path):
    running.send(tmp_path, stay("A04"), stay("A11"))
    recorded = running.events()
    transfer = stay("A02").replace(b"MSG00001", b"MSG00099")

    (reply,) = running.send(tmp_path, transfer)

    assert ack_code(reply) == "AE"
    (err,) = segments(reply, "ERR")
    assert err[2] == "PV1^1^19" and "cancelled" in err[8]
    assert running.events() == recorded
