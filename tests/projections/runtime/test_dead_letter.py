"""A poison event in the middle of a live stream: the real `edflow worker`
dead-letters it and the board keeps moving.

The poison is a real record that passes `decode` but violates the fold's
invariant that event times carry a zone: a copy of a mid-stream ED event
(new event id, same store position) whose `occurred_at` has no offset.
`fold.step` raises TypeError comparing it with the facility's last event
time. Before dead letters, the worker's agent crashed on it at every start.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer

from base.kafka_clients import connection_options
from base.settings import Settings
from events.board import AlertValue
from events.deadletter import DeadLetter, decode_dead_letter
from projections import fold
from tests.projections.runtime.boards import differences, expected_positions, offline_board, snapshot_board
from tests.projections.runtime.conftest import FACILITY
from tests.projections.runtime.kafka_io import produce, read_board_until_caught_up
from tests.projections.test_guarded_fold import poison_like

pytestmark = pytest.mark.kafka


async def dead_letters(settings: Settings, seconds: float = 3.0) -> list[tuple[bytes, DeadLetter]]:
    consumer = AIOKafkaConsumer(
        settings.topics.deadletter,
        **connection_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[tuple[bytes, DeadLetter]] = []
    try:
        for _ in range(int(seconds / 0.5)):
            batch = await consumer.getmany(timeout_ms=500)
            found.extend((r.key, decode_dead_letter(r.value)) for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return found


def test_a_poison_event_is_dead_lettered_once_and_the_board_keeps_moving(worker_settings, start_worker, ed_day):
    middle = next(i for i in range(len(ed_day) // 2, len(ed_day)) if fold.stream_of(ed_day[i]) == "ed")
    poison = poison_like(ed_day[middle])
    # Twice in a row, as a relay that retried would: the second copy fails
    # the same way, and must not make a second dead letter.
    asyncio.run(produce(worker_settings, [*ed_day[:middle], poison, poison, *ed_day[middle:]]))
    worker = start_worker()
    messages = asyncio.run(read_board_until_caught_up(worker_settings, FACILITY, expected_positions(ed_day)))

    # The board went on past the poison: every later event is on it, and it
    # equals the fold (replay) of the recorded events, the alert aside.
    board = snapshot_board(messages[-1])
    alert = board.pop(("alert", "dead-letters"))
    expected = offline_board(ed_day)
    assert board == expected, differences(board, expected)
    assert isinstance(alert, AlertValue) and alert.count == 1
    assert [(n.type, n.reason) for n in alert.latest] == [(poison.type, "TypeError in projections.fold.step")]
    alerted = next(i for i, m in enumerate(messages) if any(c.kind == "alert" for c in m.changes))
    assert any(m.type == "delta" and m.positions != messages[alerted].positions for m in messages[alerted + 1 :])

    records = asyncio.run(dead_letters(worker_settings))
    assert len(records) == 1
    key, record = records[0]
    assert key == str(poison.event_id).encode()
    assert (record.event_id, record.type, record.facility_id, record.position, record.reason) == (
        poison.event_id,
        poison.type,
        FACILITY,
        poison.position,
        "TypeError in projections.fold.step",
    )
    ed_before = sum(fold.stream_of(e) == "ed" for e in ed_day[:middle])  # one facility: one partition
    assert (record.topic, record.offset) == (worker_settings.topics.ed, ed_before)

    assert worker.log().count(f"set aside {poison.type} event {poison.event_id}") == 2
    assert worker.process is not None and worker.process.poll() is None, "the worker stopped"
    assert "Traceback" not in worker.log()
