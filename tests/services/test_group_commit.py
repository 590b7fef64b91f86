"""Group commit: saves that arrive while a transaction is written share the
next one, and still each get their own answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from events.catalogue import Person
from services.audit.verify import verify
from services.errors import BedNotAvailable
from services.hospital import Hospital
from tests.services.api.test_bed_race import facts_in_store


def hold_first_write(app: Hospital) -> tuple[threading.Event, threading.Event]:
    """The next transaction waits (inside the store call) until released, so
    saves made meanwhile queue up for the one after it."""
    entered, release = threading.Event(), threading.Event()
    put: Callable[[Sequence[Any]], Any] = app.group_commit._put

    def held(events: Sequence[Any]) -> Any:
        if not entered.is_set():
            entered.set()
            release.wait(30)
        return put(events)

    app.group_commit._put = held
    return entered, release


def wait_for_queue(app: Hospital, length: int) -> None:
    deadline = time.monotonic() + 30
    while len(app.group_commit._queue) < length:
        assert time.monotonic() < deadline, "the saves never queued"
        time.sleep(0.005)


def test_two_assignments_of_one_bed_in_one_transaction_have_exactly_one_winner(settings, clock):
    app = Hospital(settings)
    try:
        app.register_bed(clock.meta(), "A1", "Acute")
        first, second = (app.arrive(clock.meta(), f"V{n}", Person(sex="U")).id for n in range(2))
        entered, release = hold_first_write(app)
        meta = clock.meta()
        with ThreadPoolExecutor(3) as pool:
            blocker = pool.submit(app.register_bed, clock.meta(), "B1", "Acute")
            assert entered.wait(30)
            results = [pool.submit(app.assign_bed, meta, visit, "A1") for visit in (first, second)]
            wait_for_queue(app, 2)  # both decided against the free bed, both queued together
            release.set()
            blocker.result(30)
            outcomes = []
            for future in results:
                try:
                    outcomes.append(future.result(30).id)
                except BedNotAvailable as error:
                    outcomes.append(error.message)
        assert sum(isinstance(o, str) and "occupied" in o for o in outcomes) == 1
        assert sorted(o for o in outcomes if "occupied" not in o) in ([first], [second])
        stored = facts_in_store(app)
        assert (stored["BedAssigned"], stored["BedOccupied"]) == (1, 1)
        assert verify(app).intact
    finally:
        app.close()


def test_the_same_keyed_request_twice_in_one_transaction_is_recorded_once(settings, clock):
    app = Hospital(settings)
    try:
        entered, release = hold_first_write(app)
        meta, patient = clock.meta(), Person(sex="U")
        with ThreadPoolExecutor(3) as pool:
            blocker = pool.submit(app.register_bed, clock.meta(), "B1", "Acute")
            assert entered.wait(30)
            keyed = [
                pool.submit(app.arrive, meta, "V1", patient, idempotency_key="k-1", request=["arrive", "V1"])
                for _ in range(2)
            ]
            wait_for_queue(app, 2)
            release.set()
            blocker.result(30)
            first, second = (future.result(30) for future in keyed)
        assert first == second
        assert facts_in_store(app)["PatientArrived"] == 1
    finally:
        app.close()


def test_a_burst_of_commands_shares_transactions_and_keeps_one_link_per_event(settings, clock):
    app = Hospital(settings)
    try:
        visits = [app.arrive(clock.meta(), f"V{n}", Person(sex="U")).id for n in range(40)]
        before = (app.group_commit.transactions, app.group_commit.saves)
        entered, release = hold_first_write(app)
        meta = clock.meta()
        with ThreadPoolExecutor(41) as pool:
            blocker = pool.submit(app.register_bed, clock.meta(), "B1", "Acute")
            assert entered.wait(30)
            triaged = [pool.submit(app.triage, meta, visit, 3) for visit in visits]
            wait_for_queue(app, len(visits))
            release.set()
            blocker.result(30)
            assert all(len(future.result(30).events) == 1 for future in triaged)
        transactions = app.group_commit.transactions - before[0]
        saves = app.group_commit.saves - before[1]
        assert saves == len(visits) + 1
        assert transactions == 2  # the held one, then all forty together
        assert facts_in_store(app)["PatientTriaged"] == len(visits)
        report = verify(app)
        assert report.intact and report.checked == app.recorder.max_notification_id()
    finally:
        app.close()


def test_two_schedulers_booking_one_slot_in_one_transaction_have_exactly_one_winner(settings, clock):
    from datetime import timedelta

    from services.errors import SlotAlreadyBooked
    from tests.services.access.conftest import PATIENT, at

    app = Hospital(settings)
    try:
        start, meta = at(1, 9), clock.meta(role="scheduler", at=at(0, 8))
        entered, release = hold_first_write(app)

        def book(n: int) -> str:
            try:
                app.book(meta, PATIENT, "dr-1", "clinic", "outpatient-visit", start, start + timedelta(minutes=30),
                         appointment_id=f"S{n}")  # fmt: skip
                return "booked"
            except SlotAlreadyBooked:
                return "refused"

        with ThreadPoolExecutor(3) as pool:
            blocker = pool.submit(app.register_bed, clock.meta(), "B1", "Acute")
            assert entered.wait(30)
            results = [pool.submit(book, n) for n in range(2)]
            wait_for_queue(app, 2)
            release.set()
            blocker.result(30)
            assert sorted(future.result(30) for future in results) == ["booked", "refused"]
        assert verify(app).intact
    finally:
        app.close()


def test_concurrent_audited_reads_share_a_transaction_and_each_is_stored_before_it_returns(settings):
    from base.auth import Principal
    from services.audit.access import access_log, record_read

    app = Hospital(settings)
    try:
        reader = Principal("nurse-1", "charge-nurse", ("fac-1",))
        entered, release = hold_first_write(app)
        before = app.group_commit.transactions
        with ThreadPoolExecutor(21) as pool:
            first = pool.submit(record_read, app, reader, "fac-1", "encounters.read", "E0", "10.0.0.1")
            assert entered.wait(30)
            reads = [
                pool.submit(record_read, app, reader, "fac-1", "encounters.read", f"E{n}", "10.0.0.1")
                for n in range(1, 21)
            ]
            wait_for_queue(app, 20)
            assert not any(read.done() for read in reads)  # none returns before its record is stored
            release.set()
            first.result(30)
            for read in reads:
                read.result(30)
        assert app.group_commit.transactions - before == 2
        assert sorted(entry.resource_id for entry in access_log(app)) == sorted(f"E{n}" for n in range(21))
    finally:
        app.close()
