"""The one reader of the store's log: every page in order, nothing skipped or
repeated across page boundaries, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from base.store_log import envelopes, envelopes_after, page_after, pages, records
from events.catalogue import BedRegistered
from services.audit.access import ACCESS_TOPIC, AccessEntry, AccessRecord, record_access
from services.hospital import Hospital
from tests.conftest import Clock


def record_mixed_log(app: Hospital, clock: Clock, beds: int = 7) -> None:
    """Beds (published), each registered with an idempotency receipt
    (internal) on odd numbers, and an access record (internal) after every
    third bed."""
    for n in range(beds):
        if n % 2:
            app.register_bed(clock.meta(), f"B{n}", "acute", idempotency_key=f"bed-{n}", request={"n": n})
        else:
            app.register_bed(clock.meta(), f"B{n}", "acute")
        if n % 3 == 2:
            record_access(app, access_entry(n))


def access_entry(n: int) -> AccessEntry:
    return AccessEntry(
        at=datetime(2026, 3, 2, 9, n, tzinfo=UTC),
        facility_id="fac-1",
        actor_id="auditor-1",
        role="auditor",
        action="read",
        resource="timeline",
        resource_id=f"V{n}",
    )


def whole_log(app: Hospital) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(1, 100_000)]


@pytest.mark.parametrize("page", [1, 3, 4, 1000])
def test_pages_cover_the_log_once_in_order_across_page_boundaries(hospital, clock, page):
    record_mixed_log(hospital, clock)
    log = whole_log(hospital)
    assert len(log) == 12  # 7 beds, 3 receipts, 2 access records
    read = [[n.id for n in notifications] for notifications in pages(hospital, page=page)]
    assert [i for chunk in read for i in chunk] == log
    assert all(0 < len(chunk) <= page for chunk in read)
    assert len(read) == -(-len(log) // page)  # no empty page after an exactly full one


def test_reading_after_a_position_starts_just_past_it(hospital, clock):
    record_mixed_log(hospital, clock)
    log = whole_log(hospital)
    for after in (0, log[0], log[4], log[-2], log[-1]):
        expected = [i for i in log if i > after]
        assert [n.id for chunk in pages(hospital, after, page=3) for n in chunk] == expected
        assert [n.id for n, _ in records(hospital, after, page=3)] == expected
    assert page_after(hospital, log[-1]) == []


def test_stop_ends_the_read_at_that_position(hospital, clock):
    record_mixed_log(hospital, clock)
    log = whole_log(hospital)
    stop = log[6]
    assert [n.id for chunk in pages(hospital, log[1], page=2, stop=stop) for n in chunk] == log[2:7]


def test_on_page_hears_the_last_position_of_each_page_once_it_is_read(hospital, clock):
    record_mixed_log(hospital, clock)
    log = whole_log(hospital)
    read: list[int] = []
    heard: list[tuple[int, list[int]]] = []
    for envelope in envelopes(hospital, page=5, on_page=lambda position: heard.append((position, list(read)))):
        read.append(envelope.position)
    assert [position for position, _ in heard] == [log[4], log[9], log[11]]
    for position, read_by_then in heard:
        assert read_by_then == [p for p in read if p <= position]


def test_a_topics_filter_reads_only_those_records_across_pages(hospital, clock):
    record_mixed_log(hospital, clock, beds=12)
    access = [n.id for n in hospital.recorder.select_notifications(1, 100_000) if n.topic == ACCESS_TOPIC]
    assert len(access) == 4
    chunks = list(pages(hospital, page=3, topics=[ACCESS_TOPIC]))
    assert [[n.id for n in chunk] for chunk in chunks] == [access[:3], access[3:]]
    events = [event for _, event in records(hospital, access[0], page=1, topics=[ACCESS_TOPIC])]
    assert [e.access.resource_id for e in events if isinstance(e, AccessRecord.Created)] == ["V5", "V8", "V11"]


def test_envelopes_skip_internal_records_and_keep_store_order(hospital, clock):
    record_mixed_log(hospital, clock)
    published = list(envelopes(hospital, page=2))
    facts: list[object] = [e.data for e in published]
    assert [f.bed_id for f in facts if isinstance(f, BedRegistered)] == [f"B{n}" for n in range(7)]
    positions = [e.position for e in published]
    assert positions == sorted(positions) and len(set(positions)) == 7
    internal = set(whole_log(hospital)) - set(positions)
    assert len(internal) == 5
    assert [e.position for e in envelopes(hospital, positions[3])] == positions[4:]


def test_envelopes_after_reads_one_page_and_counts_internal_records_as_read(hospital, clock):
    record_mixed_log(hospital, clock)
    log = whole_log(hospital)
    found, last = [], 0
    while True:
        page, reached = envelopes_after(hospital, last, limit=4)
        if reached == last:
            break
        assert reached == [i for i in log if i > last][:4][-1]
        found += page
        last = reached
    assert last == log[-1]
    assert [e.position for e in found] == [e.position for e in envelopes(hospital)]
    assert envelopes_after(hospital, log[-1]) == ([], log[-1])
