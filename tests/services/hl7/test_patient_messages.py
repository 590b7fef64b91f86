"""ADT about the patient rather than a visit, through the intake on a real
SQLite store: an A08 naming no visit updates the patient index's record, an
A40 merges the MRG-1 record into the PID-3 one; unknown MRNs and refused
merges are answered AE with the field, unknown senders AR, and a refusal
records nothing."""

from __future__ import annotations

import pytest

from events.catalogue import PatientRecordsMerged, PatientRecordUpdated
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments
from tests.services.hl7.messages import adt

MSH = "MSH|^~\\&|EPIC|FAC1|EDFLOW|FAC1|20260302090000-0600||ADT^{trigger}^ADT_{trigger}|{control}|P|2.5"


@pytest.fixture
def intake(sqlite_hospital):
    intake = Intake(sqlite_hospital, FeedOptions(timezone="America/Chicago", senders=DEMO_SENDERS))
    assert code_of(intake.handle_frame(adt("A04", "R1", visit="V1", bed="").encode())) == "AA"  # MRN1 (DOE^JANE)
    second = adt("A04", "R2", visit="V2", bed="").replace("MRN1^^^H^MR", "MRN2^^^H^MR")
    assert code_of(intake.handle_frame(second.encode())) == "AA"
    return intake


def message(trigger: str, control: str, *segments: str) -> bytes:
    head = MSH.format(trigger=trigger, control=control)
    return ("\r".join([head, f"EVN|{trigger}|20260302090000-0600", *segments]) + "\r").encode()


def code_of(reply: bytes) -> str:
    return segments(reply, "MSA")[0][1]


def err_of(reply: bytes) -> list[str]:
    (err,) = segments(reply, "ERR")
    return err


def stored(intake: Intake) -> int:
    return len(facts(intake.hospital))


def test_an_a08_without_a_visit_updates_the_patients_record(intake):
    pid = "PID|1||MRN1^^^H^MR||DOE^JANET||19800101|F|||||555-0100^^^jane@example.org"
    reply = intake.handle_frame(message("A08", "U1", pid))
    assert code_of(reply) == "AA", reply
    [update] = [f for f in facts(intake.hospital) if isinstance(f, PatientRecordUpdated)]
    assert update.patient is not None and update.contact is not None
    assert update.patient.given_name == "JANET" and update.patient.family_name is None  # only what changed
    assert update.contact.phone == "555-0100" and update.contact.email == "jane@example.org"
    entry = intake.hospital.patient_index().facility("FAC1").entries["MRN1"]
    assert entry.details["given_name"] == "JANET" and entry.history[0]["actor"] == "hl7:EPIC"
    # A resend records nothing and answers the same.
    assert intake.handle_frame(message("A08", "U1", pid)) == reply
    assert len([f for f in facts(intake.hospital) if isinstance(f, PatientRecordUpdated)]) == 1


def test_an_a40_merges_the_mrg_record_into_the_pid_record(intake):
    reply = intake.handle_frame(message("A40", "M1", "PID|1||MRN1^^^H^MR||DOE^JANE", "MRG|MRN2^^^H^MR"))
    assert code_of(reply) == "AA", reply
    merges = [f for f in facts(intake.hospital) if isinstance(f, PatientRecordsMerged)]
    assert len(merges) == 2 and merges[0].merged_mrn == "MRN2" and merges[0].visits == ("V2",)
    index = intake.hospital.patient_index().facility("FAC1")
    assert sorted(index.visits_of("MRN1").values()) == ["V1", "V2"] and index.survivor("MRN2") == "MRN1"


@pytest.mark.parametrize(
    ("trigger", "lines", "field", "code"),
    [
        ("A40", ["PID|1||MRN1^^^H^MR"], "MRG^1^1", "101"),  # no MRG
        ("A40", ["PID|1||MRN1^^^H^MR", "MRG|MRN9"], "MRG^1^1", "204"),  # unknown duplicate
        ("A40", ["PID|1||MRN9^^^H^MR", "MRG|MRN2"], "PID^1^3", "204"),  # unknown survivor
        ("A40", ["PID|1||MRN1^^^H^MR", "MRG|MRN1"], "MRG^1^1", "207"),  # into itself
        ("A40", ["PID|1||MRN1^^^H^MR", "MRG|MRN\\X00\\2"], "MRG^1^1", "102"),  # a control character
        ("A08", ["PID|1||MRN9^^^H^MR||DOE^JO"], "PID^1^3", "204"),  # unknown record
        ("A08", ["PID|1||||DOE^JO"], "PID^1^3", "101"),  # no MRN
    ],
)
def test_refusals_are_ae_naming_the_field_and_record_nothing(intake, trigger, lines, field, code):
    before = stored(intake)
    reply = intake.handle_frame(message(trigger, "X1", *lines))
    assert code_of(reply) == "AE", reply
    err = err_of(reply)
    assert err[2] == field and err[3].startswith(code)
    assert stored(intake) == before


def test_a_merge_into_a_merged_record_is_ae_207(intake):
    assert code_of(intake.handle_frame(message("A40", "M1", "PID|1||MRN1^^^H^MR", "MRG|MRN2"))) == "AA"
    intake.handle_frame(adt("A04", "R3", visit="V3", bed="").replace("MRN1^^^H^MR", "MRN3^^^H^MR").encode())
    before = stored(intake)
    reply = intake.handle_frame(message("A40", "M2", "PID|1||MRN2^^^H^MR", "MRG|MRN3"))
    assert code_of(reply) == "AE" and err_of(reply)[3].startswith("207") and "merged into MRN1" in str(reply)
    reply = intake.handle_frame(message("A08", "U2", "PID|1||MRN2^^^H^MR||DOE^JO"))
    assert code_of(reply) == "AE" and err_of(reply)[3].startswith("207")
    assert stored(intake) == before


def test_an_a40_from_an_unknown_sender_is_ar_and_records_nothing(intake):
    before = stored(intake)
    raw = message("A40", "M9", "PID|1||MRN1^^^H^MR", "MRG|MRN2").replace(b"|EPIC|", b"|NOBODY|")
    reply = intake.handle_frame(raw)
    assert code_of(reply) == "AR" and stored(intake) == before
