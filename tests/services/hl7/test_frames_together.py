"""Frames a peer sent before waiting for their ACKs are applied together in
one store transaction, in order, each message a savepoint: the answers are
the ones the frames would get one by one, and a message refused in the middle
leaves nothing behind. Both stores (the `hospital` fixture)."""

from __future__ import annotations

import threading

import pytest

from events.catalogue import BedAssigned, PatientArrived, PatientDischarged
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from services.hl7.together import handle_frames
from tests.services.hl7.conftest import DEMO_SENDERS, ack_code, facts, setup_meta
from tests.services.hl7.messages import adt


@pytest.fixture
def intake(hospital) -> Intake:
    hospital.register_bed(setup_meta("FAC1"), "ED-1", unit="ED")
    return Intake(hospital, FeedOptions(senders=DEMO_SENDERS))


def kinds(intake: Intake) -> list[type]:
    return [type(f) for f in facts(intake.hospital)]


def test_frames_read_together_are_one_transaction_with_the_answers_of_one_by_one(intake):
    frames = [
        adt("A04", "C1", visit="V1").encode(),  # arrives, into ED-1
        adt("A04", "C2", visit="V2").encode(),  # arrives; ED-1 is taken: waits (AA with a warning)
        adt("A03", "C3", visit="V1", disposition="01").encode(),  # leaves: depends on C1 in the same transaction
        adt("A08", "C4", visit="NOPE").encode(),  # unknown visit: AE
        adt("A04", "C5", version="3.0").encode(),  # unsupported version: AR
        adt("A04", "C1", visit="V1").encode(),  # C1 again: the same ACK, nothing new
    ]
    before = intake.hospital.group_commit.transactions
    replies = handle_frames(intake, frames)
    assert intake.hospital.group_commit.transactions == before + 1
    assert [ack_code(r) for r in replies] == ["AA", "AA", "AA", "AE", "AR", "AA"]
    assert replies[5].split(b"\r")[1:] == replies[0].split(b"\r")[1:]
    assert kinds(intake).count(PatientArrived) == 2
    assert kinds(intake).count(BedAssigned) == 1
    assert kinds(intake).count(PatientDischarged) == 1


def test_a_message_failing_in_the_middle_leaves_nothing_and_the_others_are_kept(intake, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(intake.hospital, "discharge", broken)
    frames = [adt("A04", "C1", visit="V1").encode(), adt("A03", "C2", visit="V1").encode(),
              adt("A04", "C3", visit="V3", bed="").encode()]  # fmt: skip
    assert [ack_code(r) for r in handle_frames(intake, frames)] == ["AA", "AR", "AA"]
    monkeypatch.undo()
    assert kinds(intake).count(PatientArrived) == 2
    assert ack_code(handle_frames(intake, [frames[1]])[0]) == "AA"  # the AR kept nothing: the resend applies
    assert kinds(intake).count(PatientDischarged) == 1


def test_when_another_connection_writes_first_each_frame_is_applied_again_alone(intake, monkeypatch):
    """The other connection records C2 while this group is being decided: the
    group's transaction conflicts and writes nothing; applied again one by
    one, C1 is recorded and C2 answers with the other connection's ACK."""
    first, second = adt("A04", "C1", visit="V1").encode(), adt("A04", "C2", visit="V2").encode()
    other: list[bytes] = []
    started: list[bool] = []
    keep = intake._keep

    def meanwhile(*args):
        if not started:
            started.append(True)
            worker = threading.Thread(target=lambda: other.append(intake.handle_frame(second)))
            worker.start()
            worker.join()
        return keep(*args)

    monkeypatch.setattr(intake, "_keep", meanwhile)
    replies = handle_frames(intake, [first, second])
    assert [ack_code(r) for r in replies] == ["AA", "AA"]
    assert replies[1] == other[0]
    assert kinds(intake).count(PatientArrived) == 2
