"""Only the senders the facility file lists may feed the intake, each only into
the facilities it may write; a refused message records nothing at all."""

from __future__ import annotations

import contextlib

import pytest

import services.application
from base.facility import HL7Sender
from events.catalogue import BedAssigned, PatientArrived
from services.application import legacy_receipt_id
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments, setup_meta
from tests.services.hl7.messages import adt


def stored(app) -> int:
    """Everything the store holds: facts, receipts and kept ACKs alike."""
    return len(app.recorder.select_notifications(1, 100_000))


def reply_to(intake: Intake, text: str) -> tuple[str, list[str]]:
    reply = intake.handle_frame(text.encode())
    errors = segments(reply, "ERR")
    return segments(reply, "MSA")[0][1], errors[0] if errors else []


@pytest.fixture
def hospital(sqlite_hospital):
    for bed in ("ED-1", "ED-2"):
        sqlite_hospital.register_bed(setup_meta("FAC1"), bed, unit="ED")
    return sqlite_hospital


def test_a_message_from_an_unknown_sender_is_refused_and_records_nothing(hospital):
    intake = Intake(hospital, FeedOptions(senders=DEMO_SENDERS))
    before = stored(hospital)
    code, err = reply_to(intake, adt("A04").replace("|EPIC|FAC1|", "|ROGUE|FAC1|", 1))
    assert code == "AR"
    assert err[2] == "MSH^1^3" and err[3].startswith("103")
    assert "'ROGUE'/'FAC1'" in err[8] and "not a known HL7 sender" in err[8]
    assert stored(hospital) == before
    # The same application claiming another facility is just as unknown.
    code, _ = reply_to(intake, adt("A04", "C2").replace("|EPIC|FAC1|", "|EPIC|FAC9|", 1))
    assert code == "AR" and stored(hospital) == before


def test_a_sender_writing_a_facility_it_may_not_write_is_refused(hospital):
    senders = (HL7Sender(application="EPIC", facility="FAC1", writes=["FAC2"]),)
    intake = Intake(hospital, FeedOptions(senders=senders))
    before = stored(hospital)
    code, err = reply_to(intake, adt("A04"))
    assert code == "AR"
    assert err[2] == "MSH^1^4" and "may not write facility 'FAC1'" in err[8]
    assert stored(hospital) == before


def test_the_facility_read_from_msh6_is_checked_too(hospital):
    senders = (HL7Sender(application="EPIC", facility="FAC1", writes=["FAC1"]),)
    intake = Intake(hospital, FeedOptions(senders=senders, facility_field=6))
    before = stored(hospital)
    code, err = reply_to(intake, adt("A04").replace("|EDFLOW|FAC1|", "|EDFLOW|OTHER|", 1))
    assert code == "AR" and err[2] == "MSH^1^6" and "'OTHER'" in err[8]
    assert stored(hospital) == before
    assert reply_to(intake, adt("A04", "C2"))[0] == "AA"


def test_without_any_senders_every_message_is_refused(hospital):
    intake = Intake(hospital, FeedOptions())
    before = stored(hospital)
    assert reply_to(intake, adt("A04"))[0] == "AR"
    assert stored(hospital) == before


def test_a_known_sender_is_recorded_as_its_configured_name(hospital):
    intake = Intake(hospital, FeedOptions(senders=DEMO_SENDERS))
    assert reply_to(intake, adt("A04"))[0] == "AA"
    notifications = hospital.recorder.select_notifications(1, 100_000)
    actors = {
        event.meta.actor.id
        for n in notifications
        if getattr(event := hospital.mapper.to_domain_event(n), "fact", None) is not None
        and event.meta.facility_id == "FAC1"
        and event.meta.actor.role == "interface"
    }
    assert actors == {"hl7:EPIC"}


def test_a_sender_pinned_to_a_certificate_is_refused_on_a_connection_without_it(hospital):
    pinned = (HL7Sender(application="EPIC", facility="FAC1", writes=["FAC1"], certificate_subject="CN=epic-feed"),)
    intake = Intake(hospital, FeedOptions(senders=pinned))
    before = stored(hospital)
    code, err = reply_to(intake, adt("A04"))
    assert code == "AR" and "client certificate" in err[8]
    assert stored(hospital) == before


def test_a_message_half_recorded_before_receipts_were_scoped_completes_on_resend(hospital, monkeypatch):
    """Its first delivery kept step receipts where receipts used to be kept
    (by facility and key), each step in a transaction of its own, and stopped
    before its ACK was kept; the resend finds those receipts and records each step once."""
    intake = Intake(hospital, FeedOptions(senders=DEMO_SENDERS))
    with monkeypatch.context() as old_version:
        old_version.setattr(hospital, "one_transaction", contextlib.nullcontext)
        old_version.setattr(
            services.application, "receipt_id", lambda facility, _scope, key: legacy_receipt_id(facility, key)
        )

        def stopped(*_args):
            raise ConnectionError("the store went away before the ACK was kept")

        old_version.setattr(intake, "_keep", stopped)
        assert reply_to(intake, adt("A04"))[0] == "AR"
    assert [type(f) for f in facts(hospital)].count(PatientArrived) == 1
    assert reply_to(intake, adt("A04"))[0] == "AA"
    kinds = [type(f) for f in facts(hospital)]
    assert (kinds.count(PatientArrived), kinds.count(BedAssigned)) == (1, 1)
