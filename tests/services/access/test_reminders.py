"""Reminders: due at each lead time, sent once, caught up after downtime,
and the process also expires waitlist offers."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from base.store_log import envelopes_after
from events.catalogue import Contact, ReminderSent
from projections.work_queue_reader import WorkQueueReader
from services.access.notifier import OutboxNotifier, Reminder, SmtpNotifier
from services.access.reminders import ReminderProcess
from tests.services.access.conftest import PATIENT, at

LEADS = [2880, 120]


def reminder_events(app):
    envelopes, _ = envelopes_after(app, 0, limit=100_000)
    facts: list[tuple[uuid.UUID, object]] = [(e.aggregate_id, e.data) for e in envelopes]
    return [(aggregate_id, fact.lead_minutes) for aggregate_id, fact in facts if isinstance(fact, ReminderSent)]


def process(app, tmp_path):
    return ReminderProcess(app, WorkQueueReader(app), OutboxNotifier(tmp_path / "outbox"), LEADS)


def test_each_lead_time_is_sent_once_when_due(desk, tmp_path):
    desk.book(at(3, 9), appointment_id="A1")
    sender = process(desk.app, tmp_path)
    assert sender.run_pass(at(1, 8)).sent == 0  # 49 h before
    assert sender.run_pass(at(1, 9)).sent == 1  # 48 h before
    assert sender.run_pass(at(1, 10)).sent == 0
    assert sender.run_pass(at(3, 7)).sent == 1  # 2 h before
    assert sender.run_pass(at(3, 9)).sent == 0  # started: nothing more
    assert sorted(lead for _, lead in reminder_events(desk.app)) == [120, 2880]
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 2


def test_a_restarted_process_neither_repeats_nor_skips(desk, tmp_path):
    desk.book(at(3, 9), appointment_id="A1")
    process(desk.app, tmp_path).run_pass(at(1, 12))
    # Down through the 2-hour mark; back 1 hour before the start.
    restarted = process(desk.app, tmp_path)
    summary = restarted.run_pass(at(3, 8))
    assert (summary.sent, summary.already_recorded) == (1, 0)
    assert sorted(lead for _, lead in reminder_events(desk.app)) == [120, 2880]


def test_a_delivery_repeated_after_a_crash_writes_no_second_message(tmp_path):
    outbox = OutboxNotifier(tmp_path / "outbox")
    reminder = Reminder("r-1", "fac-1", "A1", 120, at(3, 9), "cardiology", email="sam@example.org")
    assert outbox.deliver(reminder) == outbox.deliver(reminder) == "r-1"
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["r-1.json"]
    assert json.loads(files[0].read_text())["email"] is None  # the address stays out of the outbox


def test_cancelled_and_checked_in_appointments_get_no_reminders(desk, tmp_path):
    cancelled = desk.book(at(3, 9))
    desk.app.cancel_appointment(desk.meta(), cancelled, "patient request")
    assert process(desk.app, tmp_path).run_pass(at(3, 8)).sent == 0


def test_a_rescheduled_appointment_is_reminded_again_for_its_new_time(desk, tmp_path):
    visit = desk.book(at(3, 9))
    sender = process(desk.app, tmp_path)
    assert sender.run_pass(at(3, 8)).sent == 2  # both leads were due: caught up
    desk.app.reschedule(desk.meta(), visit, at(6, 9), at(6, 9, 30))
    assert sender.run_pass(at(6, 8)).sent == 2
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 4


def test_the_process_expires_offers_that_were_not_taken(desk, tmp_path):
    taken = desk.book(at(3, 9))
    desk.app.join_waitlist(
        desk.meta(), PATIENT, "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="w1"
    )
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    offer = desk.app.waitlist("fac-1", "provider:dr-1").entries["w1"].offer
    assert process(desk.app, tmp_path).run_pass(offer.expires_at + timedelta(seconds=1)).offers_expired == 1
    assert desk.app.waitlist("fac-1", "provider:dr-1").entries["w1"].offer is None


def test_an_smtp_reminder_has_a_stable_message_id_and_no_more_than_it_needs(tmp_path):
    smtp = SmtpNotifier("mail.invalid", 587, "clinic@hospital.example", tmp_path / "sent")
    reminder = Reminder("r-9", "fac-1", "A9", 120, at(3, 9), "cardiology", email="sam@example.org")
    message = smtp.message(reminder)
    assert message["Message-ID"] == "<r-9@hospital.example>" == smtp.message(reminder)["Message-ID"]
    assert "A9" in message.get_content() and "Roe" not in message.get_content()


def test_the_contact_travels_with_the_booking_to_the_reminder(desk, tmp_path):
    desk.book(at(3, 9), appointment_id="A1", contact=Contact(email="sam@example.org"))
    sender = process(desk.app, tmp_path)
    sender.reader.catch_up()
    (entry,) = [e for k, e in sender.reader.table.items() if "|appt|" in k]
    assert sender._email(entry) == "sam@example.org"
