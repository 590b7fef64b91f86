"""Reads that must not fail for everyone because of one bad record: the
work-queue reader over a stored event it cannot read, and the reports over
an appointment whose times cannot be placed in the calendar."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from eventsourcing.persistence import StoredEvent

from events.work_queue import QueueAppointment
from projections.work_queue_reader import WorkQueueReader
from services.access import reports
from tests.services.access.conftest import at


def test_the_work_queue_reader_skips_a_stored_event_it_cannot_read(desk):
    desk.book(at(1, 9), appointment_id="before")
    # A record of a class this version of edflow no longer has, between two bookings.
    desk.app.recorder.insert_events(
        [StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="edflow.retired:Gone.Event", state=b"{}")]
    )
    desk.book(at(1, 10), appointment_id="after")

    reader = WorkQueueReader(desk.app)
    reader.catch_up()

    assert sorted(e.appointment_id for e in reader.entries("fac-1") if isinstance(e, QueueAppointment)) == [
        "after",
        "before",
    ]
    assert reader.skipped == 1


def test_reports_leave_out_an_appointment_whose_times_have_no_zone(desk):
    desk.book(at(1, 9), appointment_id="good")
    desk.book(at(1, 10), appointment_id="bad")
    reader = WorkQueueReader(desk.app)
    reader.catch_up()
    appointments = [
        msgspec.structs.replace(a, start=a.start.replace(tzinfo=None)) if a.appointment_id == "bad" else a
        for a in reader.entries("fac-1")
        if isinstance(a, QueueAppointment)
    ]
    before = dict(reports.SKIPPED)

    rows = reports.schedule_rows(appointments, date(2026, 3, 1), date(2026, 3, 31), "UTC")
    stats = reports.stats_rows(appointments, date(2026, 3, 1), date(2026, 3, 31), "UTC")

    assert [r["appointment_id"] for r in rows] == ["good"]
    assert [(s["department"], s["appointments"]) for s in stats] == [("cardiology", 1)]
    assert reports.SKIPPED["schedule"] == before.get("schedule", 0) + 1
    assert reports.SKIPPED["stats"] == before.get("stats", 0) + 1
