"""The scheduler's work queue, folded from recorded events with the pure reducer."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base.store_log import envelopes_after
from events.catalogue import Coverage, Person
from projections.work_queue import fold_into
from services.access.work_queue_view import view
from tests.services.access.conftest import at


def queue(app, as_of, **options):
    envelopes, _ = envelopes_after(app, 0, limit=100_000)
    table = fold_into({}, envelopes)
    return view([e for k, e in table.items() if k.startswith("fac-1|")], as_of, "UTC", **options)


def ids(items):
    return [i["appointment_id"] for i in items]


def scenario(desk):
    desk.book(at(0, 9), appointment_id="today-cardio")
    desk.book(at(0, 10), appointment_id="today-ortho", department="orthopedics", provider="dr-2")
    desk.book(at(1, 9), appointment_id="verified")
    desk.app.request_verification(desk.meta(), "verified", Coverage(payer="Acme", member_id="M1"))
    desk.app.record_verification(desk.meta(), "verified", True, "ref")
    desk.book(at(2, 9), appointment_id="unverified")
    desk.book(at(9, 9), appointment_id="far-away")
    desk.book(at(0, 8), appointment_id="missed", provider="dr-3")
    desk.app.mark_no_show(desk.meta(), "missed")
    desk.book(at(3, 9), appointment_id="surgery", kind="surgical-case", provider="dr-4")
    desk.app.complete_checklist_item(desk.meta(), "surgery", "consent")


def test_the_queue_shows_the_days_work(desk):
    scenario(desk)
    q = queue(desk.app, at(0, 7))
    assert {d: ids(items) for d, items in q["today"].items()} == {
        "cardiology": ["missed", "today-cardio"],
        "orthopedics": ["today-ortho"],
    }
    # Within 3 days and not verified; "far-away" and "surgery" are beyond the horizon.
    assert ids(q["unverified_coverage"]) == ["today-cardio", "today-ortho", "unverified"]
    assert ids(q["no_shows_to_rebook"]) == []  # starts at 08:00: not yet missed as of 07:00
    assert [(i["appointment_id"], i["missing"]) for i in q["checklists_open"]] == [
        ("surgery", ["labs", "anaesthesia-review", "insurance-authorisation"])
    ]
    later = queue(desk.app, at(0, 12))
    assert ids(later["no_shows_to_rebook"]) == ["missed"]


def test_reminders_due_and_sent_leave_the_queue(desk):
    desk.book(at(2, 9), appointment_id="A1")
    assert [(i["appointment_id"], i["lead_minutes"]) for i in queue(desk.app, at(0, 9))["reminders_due"]] == [
        ("A1", 2880)
    ]
    desk.app.record_reminder(desk.meta(), "A1", 2880, "log", "m1")
    assert queue(desk.app, at(0, 9))["reminders_due"] == []


def test_pending_offers_are_listed_and_marked_expired_by_time(desk):
    taken = desk.book(at(1, 9))
    desk.app.join_waitlist(
        desk.meta(), Person(sex="F"), "cardiology", "outpatient-visit", 30, provider_id="dr-1", entry_id="w1"
    )
    desk.app.cancel_appointment(desk.meta(), taken, "patient request")
    offer = queue(desk.app, at(0, 9))["offers_pending"]
    assert [(o["entry_id"], o["expired"]) for o in offer] == [("w1", False)]
    assert queue(desk.app, at(1, 8))["offers_pending"][0]["expired"] is True
    desk.app.accept_offer(desk.meta(), "provider:dr-1", "w1")
    assert queue(desk.app, at(0, 9))["offers_pending"] == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_redelivered_events_change_nothing(sqlite_hospital_with_history, data):
    """Any replay of already-folded events (Kafka redelivery) leaves the table as it was."""
    envelopes = sqlite_hospital_with_history
    once = fold_into({}, envelopes)
    repeats = data.draw(st.lists(st.sampled_from(envelopes), max_size=20))
    assert fold_into(fold_into({}, envelopes), repeats) == once


def test_queue_entries_survive_their_codec(desk):
    from events.work_queue import decode_queue_entry, encode_queue_entry

    scenario(desk)
    envelopes, _ = envelopes_after(desk.app, 0, limit=100_000)
    for entry in fold_into({}, envelopes).values():
        assert decode_queue_entry(encode_queue_entry(entry)) == entry


def test_the_projection_fold_keeps_the_work_queue_in_its_table(sqlite_hospital_with_history):
    """The worker's one fold carries the work-queue entries, codec included."""
    from events.work_queue import QueueAppointment
    from projections import fold

    table = fold.fold_into({}, sqlite_hospital_with_history)
    queue = {k: v for k, v in table.items() if "|wq" in k}
    assert queue == fold_into({}, sqlite_hospital_with_history)
    assert sum(isinstance(v, QueueAppointment) for v in queue.values()) == 6
    assert all(fold.decode_entry(fold.encode_entry(v)) == v for v in queue.values())
