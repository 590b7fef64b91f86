"""The live worker moves its boards on with the server's clock while no event
arrives: waits, over-target flags, boarding time, NEDOCS and the flow metrics,
published as ordinary deltas numbered on without a gap; after each, the board
is the fold of the events evaluated at the delta's instant. A snapshot asked
for is the board at the clock as well."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from base.kafka_clients import connection_options, producer_options
from base.settings import Settings
from events.board import BoardMessage, CapacityValue, EncounterValue, MetricsValue, decode_board
from projections.board_stream import BoardView
from projections.fold import board_snapshot, fold_into
from projections.profile import DEFAULT_PROFILE
from tests.projections.runtime.kafka_io import WorkerProcess, produce, request_snapshot
from tests.projections.stories import Story

pytestmark = pytest.mark.kafka
FACILITY = "clock-1"


async def board_until(settings: Settings, done, timeout: float = 90.0) -> list[BoardMessage]:
    """The facility's board messages from the start until `done(messages)`."""
    consumer = AIOKafkaConsumer(
        settings.topics.board, **connection_options(settings), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    messages: list[BoardMessage] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(messages):
            assert time.monotonic() < deadline, f"board stood still: {[(m.seq, m.type, m.as_of) for m in messages]}"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                messages.extend(m for r in records if (m := decode_board(r.value)).facility_id == FACILITY)
    finally:
        await consumer.stop()
    return messages


def test_a_quiet_board_moves_on_with_the_clock(worker_settings: Settings, tmp_path):
    settings = worker_settings.model_copy(update={"board_refresh_seconds": 1.0})
    # Three hours ago: one patient waiting (ESI 3, a 60-minute target), one boarding.
    story = Story(facility_id=FACILITY, now=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3))
    story.register_bed("A1")
    waiting = story.arrive("V1")
    story.triage(waiting, 3)
    boarder = story.arrive("V2", age=70)
    story.assign_bed(boarder, "A1")
    story.admit(boarder)
    admitted = story.now
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_for_log("requesting board snapshots")
        started = datetime.now(UTC)
        asyncio.run(produce(settings, story.envelopes))

        def ticks(messages: list[BoardMessage]) -> list[BoardMessage]:
            return [m for m in messages if m.type == "delta" and m.as_of is not None and m.as_of >= started]

        messages = asyncio.run(board_until(settings, lambda messages: len(ticks(messages)) >= 2))
        # A snapshot asked for (a board server after a gap) is the board at the clock too.
        asyncio.run(ask_snapshot(settings))
        asked = asyncio.run(board_until(settings, lambda ms: any(m.type == "snapshot" for m in ms)))
    finally:
        worker.stop()

    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))  # no gap, no repeat
    first, second = ticks(messages)[:2]
    assert first.as_of is not None and second.as_of is not None
    assert second.as_of > first.as_of  # still moving on, with no new event
    table = fold_into({}, story.envelopes)
    view = BoardView()
    view.seq = 0  # a new facility: empty before its first message
    for message in messages:
        view.apply(message)
        if message is first:
            break
    at = first.as_of
    expected = {(c.kind, c.id): c.value for c in board_snapshot(table.items(), DEFAULT_PROFILE, at=at) if c.value}
    assert view.entities == expected
    visit, capacity = view.entities[("encounter", str(waiting))], view.entities[("capacity", "ed")]
    rolling = view.entities[("metrics", "rolling24h")]
    assert isinstance(visit, EncounterValue) and isinstance(capacity, CapacityValue)
    assert isinstance(rolling, MetricsValue)
    assert visit.over_target
    assert capacity.longest_boarding_minutes == round((at - admitted).total_seconds() / 60, 1) >= 180
    assert rolling.as_of == at.isoformat()
    snapshot = next(m for m in asked if m.type == "snapshot")
    assert snapshot.as_of is not None and snapshot.as_of >= started
    assert {(c.kind, c.id): c.value for c in snapshot.changes if c.value} == {
        (c.kind, c.id): c.value for c in board_snapshot(table.items(), DEFAULT_PROFILE, at=snapshot.as_of) if c.value
    }


async def ask_snapshot(settings: Settings) -> None:
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        await request_snapshot(producer, settings, FACILITY)
    finally:
        await producer.stop()
