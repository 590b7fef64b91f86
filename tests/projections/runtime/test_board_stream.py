"""Given events on the event topics, the live worker publishes the board stream:
numbered deltas, periodic snapshots, and a board a late consumer can rebuild."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.projections.runtime.boards import (
    expected_positions,
    offline_board,
    rebuilt_from_last_snapshot,
    snapshot_board,
    without_wait_flags,
)
from tests.projections.runtime.conftest import FACILITY
from tests.projections.runtime.kafka_io import produce, read_board_until_caught_up

pytestmark = pytest.mark.kafka


@pytest.fixture
def snapshot_every() -> int:
    # The worker folds a facility's events in runs of up to 100 with one board
    # message each: a day of ~900 events may be fewer than 40 messages, and the
    # late consumer here starts at a periodic snapshot.
    return 4


def test_events_become_consecutive_board_messages_that_rebuild_the_offline_fold(worker_settings, start_worker, ed_day):
    worker = start_worker()
    worker.wait_for_log("requesting board snapshots")
    asyncio.run(produce(worker_settings, ed_day))

    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(ed_day)))

    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    # Every message names the facility's calendar (an unconfigured facility: the default zone).
    assert {m.time_zone for m in messages} == {worker_settings.facility_timezone}
    every = worker_settings.board_snapshot_every
    assert all(m.type == "snapshot" for m in messages if m.seq % every == 0)
    deltas = [m for m in messages if m.type == "delta"]
    assert deltas
    # Events folded together publish one delta: each entity once, as the last of them left it.
    for delta in deltas:
        entities = [(c.kind, c.id) for c in delta.changes]
        assert len(entities) == len(set(entities))
    expected = offline_board(ed_day)
    # The snapshot asked for at the end is exactly the offline fold.
    assert snapshot_board(messages[-1]) == expected
    # A consumer that joined at the last periodic snapshot and applied the
    # deltas after it holds the same board.
    view = rebuilt_from_last_snapshot(messages)
    assert view.in_sync and view.gaps == 0
    assert without_wait_flags(view.entities) == without_wait_flags(offline_board(ed_day, messages[-2].positions))


def test_board_messages_carry_no_names_or_record_numbers(worker_settings, start_worker, ed_day):
    worker = start_worker()
    worker.wait_for_log("requesting board snapshots")
    asyncio.run(produce(worker_settings, ed_day[:200]))

    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(ed_day[:200])))

    encounters = [c.value for m in messages for c in m.changes if c.kind == "encounter" and c.value]
    assert encounters
    for value in encounters:
        assert not {"family_name", "given_name", "mrn", "birth_date"} & set(value.__struct_fields__)
        assert "Lovelace" not in repr(value)
    assert "Lovelace" not in worker.log()


def test_an_undecodable_record_is_reported_with_its_place_and_the_board_goes_on(worker_settings, start_worker, ed_day):
    async def publish_garbage_between_events():
        from aiokafka import AIOKafkaProducer

        from base.kafka_clients import producer_options

        await produce(worker_settings, ed_day[:50])
        producer = AIOKafkaProducer(**producer_options(worker_settings))
        await producer.start()
        try:
            await producer.send_and_wait(worker_settings.topics.ed, b'{"type": "PatientArrived"', key=FACILITY.encode())
        finally:
            await producer.stop()
        await produce(worker_settings, ed_day[50:100])

    worker = start_worker()
    worker.wait_for_log("requesting board snapshots")
    asyncio.run(publish_garbage_between_events())

    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(ed_day[:100])))

    assert snapshot_board(messages[-1]) == offline_board(ed_day[:100])
    assert re.search(rf"skipped undecodable record {re.escape(worker_settings.topics.ed)}\[\d\]@\d+: ", worker.log())
    assert "Traceback" not in worker.log()
