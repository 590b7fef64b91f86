"""ADT rules through the intake (the same code the MLLP listener calls), on a
real SQLite event store: what is applied, and how a refusal is answered."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec
import pytest

from events.catalogue import ArrivalCancelled, BedAssigned, PatientArrived, PatientTransferred
from services.application import CommandReceipt, receipt_id
from services.ed.application import encounter_id_for
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments, setup_meta
from tests.services.hl7.messages import adt, batch

VISIT = str(encounter_id_for("FAC1", "V1"))


@pytest.fixture
def intake(sqlite_hospital):
    for bed in ("ED-1", "ED-2"):
        sqlite_hospital.register_bed(setup_meta("FAC1"), bed, unit="ED")
    return Intake(sqlite_hospital, FeedOptions(timezone="America/Chicago", senders=DEMO_SENDERS))


def send(intake: Intake, text: str) -> bytes:
    return intake.handle_frame(text.encode())


def code_of(reply: bytes) -> str:
    return segments(reply, "MSA")[0][1]


def err_of(reply: bytes) -> list[str]:
    (err,) = segments(reply, "ERR")
    return err


def test_registration_rooms_the_patient_in_the_pv1_3_bed(intake):
    assert code_of(send(intake, adt("A04"))) == "AA"
    assert [type(f) for f in facts(intake.hospital)][-3:-1] == [PatientArrived, BedAssigned]
    assert intake.hospital.encounter("FAC1", VISIT).bed_id == "ED-1"


def test_registration_to_an_unknown_bed_waits_and_warns(intake):
    reply = send(intake, adt("A04", bed="ED^^9"))
    assert code_of(reply) == "AA"
    assert err_of(reply)[2:5] == ["PV1^1^3", "204^Unknown key identifier^HL70357", "W"]
    assert intake.hospital.encounter("FAC1", VISIT).status == "waiting"


def test_registration_into_an_occupied_bed_records_the_arrival_and_warns(intake):
    send(intake, adt("A04", visit="OTHER"))
    reply = send(intake, adt("A04", "C2"))
    assert code_of(reply) == "AA"
    assert err_of(reply)[2] == "PV1^1^3" and err_of(reply)[4] == "W" and "occupied" in err_of(reply)[8]
    assert intake.hospital.encounter("FAC1", VISIT).status == "waiting"
    assert intake.hospital.bed("FAC1", "ED-1").encounter_id == str(encounter_id_for("FAC1", "OTHER"))


def test_transfer_to_an_unknown_bed_is_ae_naming_pv1_3_and_records_nothing(intake):
    send(intake, adt("A04"))
    recorded = len(facts(intake.hospital))
    reply = send(intake, adt("A02", "C2", bed="ED^^9"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[2:4] == ["PV1^1^3", "204^Unknown key identifier^HL70357"]
    assert "ED-9" in err_of(reply)[8]
    assert len(facts(intake.hospital)) == recorded


def test_transfer_then_cancel_transfer_returns_the_patient_to_the_prior_bed(intake):
    send(intake, adt("A04"))
    assert code_of(send(intake, adt("A02", "C2", bed="ED^^2", prior="ED^^1"))) == "AA"
    assert intake.hospital.encounter("FAC1", VISIT).bed_id == "ED-2"
    intake.hospital.finish_cleaning(setup_meta("FAC1"), "ED-1")
    assert code_of(send(intake, adt("A12", "C3", bed="ED^^2", prior="ED^^1"))) == "AA"
    assert intake.hospital.encounter("FAC1", VISIT).bed_id == "ED-1"
    assert [type(f) for f in facts(intake.hospital)].count(PatientTransferred) == 2


def test_cancel_transfer_back_to_a_bed_not_yet_cleaned_is_ae_naming_pv1_6(intake):
    send(intake, adt("A04"))
    send(intake, adt("A02", "C2", bed="ED^^2", prior="ED^^1"))
    reply = send(intake, adt("A12", "C3", bed="ED^^2", prior="ED^^1"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[2] == "PV1^1^6" and "cleaned" in err_of(reply)[8]
    assert intake.hospital.encounter("FAC1", VISIT).bed_id == "ED-2"


def test_cancel_transfer_without_a_prior_bed_is_ae_naming_pv1_6(intake):
    send(intake, adt("A04"))
    reply = send(intake, adt("A12", "C2"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[2:4] == ["PV1^1^6", "101^Required field missing^HL70357"]


@pytest.mark.parametrize(
    "code, disposition", [("01", "home"), ("07", "left-against-advice"), ("20", "died"), ("", "home")]
)
def test_discharge_disposition_comes_from_pv1_36(intake, code, disposition):
    send(intake, adt("A04"))
    assert code_of(send(intake, adt("A03", "C2", disposition=code))) == "AA"
    assert intake.hospital.encounter("FAC1", VISIT).disposition == disposition
    assert intake.hospital.bed("FAC1", "ED-1").status == "dirty"


def test_an_unknown_discharge_disposition_is_ae_and_the_visit_stays_open(intake):
    send(intake, adt("A04"))
    reply = send(intake, adt("A03", "C2", disposition="99"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[2:4] == ["PV1^1^36", "103^Table value not found^HL70357"]
    assert intake.hospital.encounter("FAC1", VISIT).status == "roomed"


def test_a_second_registration_of_a_visit_is_ae_duplicate_key(intake):
    send(intake, adt("A04"))
    reply = send(intake, adt("A04", "C2"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[3].startswith("205^")


def test_a_bad_birth_date_is_ae_naming_pid_7_and_records_nothing(intake):
    reply = send(intake, adt("A04", birth="19801399"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[2] == "PID^1^7"
    assert facts(intake.hospital)[-1].__class__.__name__ == "BedRegistered"


def test_without_evn_the_event_time_is_msh_7_in_the_facility_zone(intake):
    send(intake, adt("A04", evn=None, msh7="202603020815"))
    arrived = intake.hospital.mapper.to_domain_event(intake.hospital.recorder.select_notifications(3, 1)[0])
    assert isinstance(arrived.fact, PatientArrived)
    assert arrived.meta.occurred_at == datetime(2026, 3, 2, 8, 15, tzinfo=ZoneInfo("America/Chicago"))


def test_lf_crlf_and_a_byte_order_mark_are_all_read(intake):
    text = adt("A04")
    assert code_of(intake.handle_frame(b"\xef\xbb\xbf" + text.replace("\r", "\r\n").encode())) == "AA"
    assert code_of(intake.handle_frame(adt("A11", "C2").replace("\r", "\n").encode())) == "AA"
    assert ArrivalCancelled in [type(f) for f in facts(intake.hospital)[-2:]]


@pytest.mark.parametrize(
    "text, code, location",
    [
        (adt("R01", kind="ORU"), "200", "MSH^1^9"),
        (adt("A05"), "201", "MSH^1^9"),
        (adt("A04", version="3.0"), "203", "MSH^1^12"),
        (adt("A04", processing="T"), "202", "MSH^1^11"),
        (adt("A04", control=""), "101", "MSH^1^10"),
    ],
    ids=["unsupported-type", "unsupported-trigger", "version", "processing-id", "no-control-id"],
)
def test_what_we_do_not_take_is_ar_and_records_nothing(intake, text, code, location):
    recorded = len(facts(intake.hospital))
    reply = send(intake, text)
    assert code_of(reply) == "AR"
    assert err_of(reply)[2] == location and err_of(reply)[3].startswith(code + "^")
    assert len(facts(intake.hospital)) == recorded


def test_training_messages_are_taken_when_configured(sqlite_hospital):
    intake = Intake(sqlite_hospital, FeedOptions(processing_ids=frozenset({"P", "T"}), senders=DEMO_SENDERS))
    assert code_of(send(intake, adt("A04", processing="T", bed=""))) == "AA"


def test_routing_follows_msh_9_not_evn_1(intake):
    text = adt("A04").replace("EVN|A04|", "EVN|A03|")
    assert code_of(send(intake, text)) == "AA"
    assert intake.hospital.encounter("FAC1", VISIT).status == "roomed"


def test_version_2_3_errors_use_err_1(intake):
    reply = send(intake, adt("A02", version="2.3", visit="NOPE"))
    assert code_of(reply) == "AE"
    assert err_of(reply)[1] == "PV1^1^19^204&Unknown key identifier"


def test_a_batch_is_answered_with_a_batch_of_acks_in_order(intake):
    reply = send(intake, batch(adt("A04", "B1"), adt("A02", "B2", bed="ED^^2"), adt("A99", "B3")))
    assert [line[0] for line in (s.split("|") for s in reply.decode().split("\r")) if line[0]][:1] == ["BHS"]
    assert [(m[1], m[2]) for m in segments(reply, "MSA")] == [("AA", "B1"), ("AA", "B2"), ("AR", "B3")]
    assert segments(reply, "BTS")[0][1] == "3"
    assert intake.hospital.encounter("FAC1", VISIT).bed_id == "ED-2"


def test_a_store_failure_is_ar_so_the_sender_resends(intake):
    intake.hospital.close()  # the database is gone: nothing can be recorded
    reply = send(intake, adt("A04"))
    assert code_of(reply) == "AR"
    assert err_of(reply)[3].startswith("207^")


def test_a_latin_1_message_is_read_without_mangling_names(intake):
    text = adt("A04").replace("DOE^JANE", "MÜLLER^JOSÉ")
    assert code_of(intake.handle_frame(text.encode("latin-1"))) == "AA"
    arrived = next(f for f in facts(intake.hospital) if isinstance(f, PatientArrived))
    assert (arrived.patient.family_name, arrived.patient.given_name) == ("MÜLLER", "JOSÉ")


def test_a_step_receipt_keeps_the_request_hash_stores_already_hold(intake):
    """Each step's receipt hashes [command name, keyword arguments]; receipts
    kept before must still match a message resent today."""
    send(intake, adt("A04"))
    receipt = intake.hospital.find(CommandReceipt, receipt_id("FAC1", ("hl7", "EPIC"), "hl7:EPIC:C1:ADT^A04:2"))
    assert receipt is not None
    request = ["assign_bed", {"encounter_id": VISIT, "bed_id": "ED-1"}]
    assert receipt.request_hash == hashlib.sha256(msgspec.json.encode(request)).hexdigest()
