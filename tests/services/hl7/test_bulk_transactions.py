"""A bulk import writes many messages per store transaction; each message is a
savepoint of it: one that fails leaves the others whole and records nothing
of its own. Both stores (the `hospital` fixture runs each on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from events.catalogue import BedAssigned, PatientArrived
from services.hl7 import bulk
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, setup_meta
from tests.services.hl7.messages import adt, batch


@pytest.fixture
def intake(hospital) -> Intake:
    for bed in ("ED-1", "ED-2", "ED-3"):
        hospital.register_bed(setup_meta("FAC1"), bed, unit="ED")
    return Intake(hospital, FeedOptions(senders=DEMO_SENDERS))


def test_a_file_is_one_transaction_and_a_failing_message_leaves_the_others_whole(intake, monkeypatch):
    hospital = intake.hospital
    real = hospital.assign_bed

    def broken_for_ed2(meta: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("bed_id") == "ED-2":
            raise RuntimeError("a bug while assigning ED-2")
        return real(meta, *args, **kwargs)

    broken_for_ed2.__name__ = "assign_bed"
    monkeypatch.setattr(hospital, "assign_bed", broken_for_ed2)
    data = batch(
        adt("A04", "B1", visit="V1", bed="ED^^1"),
        adt("A04", "B1", visit="V1", bed="ED^^1"),  # the same message again: its first ACK
        adt("A04", "B2", visit="V2", bed="ED^^2"),  # arrives, then fails: nothing of it is kept
        adt("A04", "B3", visit="V3", bed="ED^^3"),
    ).encode()
    before = hospital.group_commit.transactions
    results = list(bulk.apply(intake, [("file.hl7", bulk.entries(data))]))
    assert [(r.control_id, r.code) for r in results] == [("B1", "AA"), ("B1", "AA"), ("B2", "AR"), ("B3", "AA")]
    assert hospital.group_commit.transactions == before + 1
    assert [type(f) for f in facts(hospital)].count(PatientArrived) == 2
    assert [type(f) for f in facts(hospital)].count(BedAssigned) == 2
    monkeypatch.undo()
    again = list(bulk.apply(intake, [("file.hl7", bulk.entries(data))]))
    assert [(r.control_id, r.code) for r in again] == [("B1", "AA"), ("B1", "AA"), ("B2", "AA"), ("B3", "AA")]
    assert [type(f) for f in facts(hospital)].count(PatientArrived) == 3


def test_messages_are_written_in_transactions_of_the_given_size(intake):
    data = batch(*(adt("A04", f"C{n}", visit=f"V{n}", bed="") for n in range(5))).encode()
    before = intake.hospital.group_commit.transactions
    results = list(bulk.apply(intake, [("file.hl7", bulk.entries(data))], per_transaction=2))
    assert [r.code for r in results] == ["AA"] * 5
    assert intake.hospital.group_commit.transactions == before + 3
    assert [type(f) for f in facts(intake.hospital)].count(PatientArrived) == 5
