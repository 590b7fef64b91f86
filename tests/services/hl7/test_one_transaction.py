"""A message is one store transaction: its events, its steps' receipts and its
ACK are written together, or nothing of it is. Both stores (the `hospital`
fixture runs each test on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from events.catalogue import BedAssigned, PatientArrived
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, ack_code, facts, setup_meta
from tests.services.hl7.messages import adt

MESSAGE = adt("A04").encode()  # arrive, then assign bed ED-1: two commands


@pytest.fixture
def intake(hospital) -> Intake:
    hospital.register_bed(setup_meta("FAC1"), "ED-1", unit="ED")
    return Intake(hospital, FeedOptions(senders=DEMO_SENDERS))


def stored(intake: Intake) -> int:
    """Everything the store holds: facts, receipts and kept ACKs alike."""
    return len(intake.hospital.recorder.select_notifications(1, 100_000))


def recorded(intake: Intake) -> tuple[int, int]:
    kinds = [type(f) for f in facts(intake.hospital)]
    return kinds.count(PatientArrived), kinds.count(BedAssigned)


def test_a_message_of_two_commands_and_its_ack_is_one_transaction(intake):
    before = intake.hospital.group_commit.transactions
    assert ack_code(intake.handle_frame(MESSAGE)) == "AA"
    assert intake.hospital.group_commit.transactions == before + 1
    assert recorded(intake) == (1, 1)


def test_a_crash_between_the_commands_and_the_ack_records_nothing_and_the_resend_records_once(intake, monkeypatch):
    held = stored(intake)
    with monkeypatch.context() as crash:

        def stopped(*_args):
            raise ConnectionError("the process stopped before the ACK was kept")

        crash.setattr(intake, "_keep", stopped)
        assert ack_code(intake.handle_frame(MESSAGE)) == "AR"
    assert stored(intake) == held  # neither the commands' events nor their receipts
    first = intake.handle_frame(MESSAGE)
    assert ack_code(first) == "AA"
    assert recorded(intake) == (1, 1)
    assert intake.handle_frame(MESSAGE) == first  # answered from the kept ACK
    assert recorded(intake) == (1, 1)


def test_a_store_failure_while_the_transaction_is_written_records_nothing(intake, monkeypatch):
    held = stored(intake)
    with monkeypatch.context() as outage:

        def failing(_events):
            raise ConnectionError("the store went away during the commit")

        outage.setattr(intake.hospital.group_commit, "_put", failing)
        assert ack_code(intake.handle_frame(MESSAGE)) == "AR"
    assert stored(intake) == held
    assert ack_code(intake.handle_frame(MESSAGE)) == "AA"
    assert recorded(intake) == (1, 1)


def test_the_same_message_on_two_connections_at_once_is_recorded_once_under_one_ack(intake, monkeypatch):
    """The other connection writes the message while this one is deciding it:
    this transaction conflicts and writes nothing; applied again step by step,
    it finds the other's ACK and answers with it."""
    other: list[bytes] = []
    started: list[bool] = []
    keep = intake._keep

    def meanwhile(*args):
        if not started:
            started.append(True)
            worker = threading.Thread(target=lambda: other.append(intake.handle_frame(MESSAGE)))
            worker.start()
            worker.join()
        return keep(*args)

    monkeypatch.setattr(intake, "_keep", meanwhile)
    reply = intake.handle_frame(MESSAGE)
    assert ack_code(other[0]) == "AA"
    assert reply == other[0]
    assert recorded(intake) == (1, 1)
