"""Two `edflow worker` processes in one consumer group share the partitions
of several facilities. One is killed with SIGKILL: the other takes its
partitions over, rebuilds their tables from the changelogs and numbers each
facility's board on; when the killed one comes back, partitions move back.
Every facility's board ends equal to a clean fold, and a board consumer that
read the whole stream never saw a gap a snapshot did not heal at once."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from events.envelope import Envelope
from projections.board_stream import BoardView
from tests.conftest import Clock
from tests.projections.runtime.boards import differences, expected_positions, offline_board, snapshot_board
from tests.projections.runtime.boards import without_wait_flags as unflagged
from tests.projections.runtime.kafka_io import WorkerProcess, produce, read_board_until_caught_up
from tests.projections.runtime.scenario import record_day

pytestmark = pytest.mark.kafka
# Keyed into all three partitions of the event topics (1, 0, 0, 1, 2).
FACILITIES = ("fac-1", "fac-2", "fac-3", "fac-4", "fac-5")
OWNED = re.compile(r"requesting board snapshots for partitions \[([\d, ]*)\]")


@pytest.fixture(scope="module")
def five_facilities(tmp_path_factory) -> dict[str, list[Envelope]]:
    """~40 patients through each of five EDs, recorded in one store."""
    store, clock = tmp_path_factory.mktemp("store"), Clock()
    for n, facility in enumerate(FACILITIES):
        envelopes = record_day(store, clock, patients=40, facility_id=facility, seed=n)
    return {f: [e for e in envelopes if e.facility_id == f] for f in FACILITIES}


def thirds(by_facility: dict[str, list[Envelope]]) -> list[list[Envelope]]:
    """Each facility's events in three consecutive parts, facilities side by side."""
    parts: list[list[Envelope]] = [[], [], []]
    for envelopes in by_facility.values():
        size = len(envelopes) // 3
        for i, part in enumerate(parts):
            part.extend(envelopes[i * size : (i + 1) * size if i < 2 else None])
    return parts


def owned(worker: WorkerProcess, after: int = 0) -> list[int] | None:
    """The partitions the worker last reported owning (None before any report)."""
    found = OWNED.findall(worker.log()[after:])
    return None if not found else [int(p) for p in found[-1].split(",") if p.strip()]


def wait_until_owning(worker: WorkerProcess, partitions: set[int] | None, after: int = 0, timeout: float = 90) -> None:
    """Until the worker's last report names `partitions` (any non-empty set if None)."""
    deadline = time.monotonic() + timeout
    while True:
        now = owned(worker, after)
        if now and (partitions is None or set(now) == partitions):
            return
        assert time.monotonic() < deadline, f"worker owns {now}, not {partitions}:\n{worker.log()[-2000:]}"
        worker.wait_for_log("requesting board snapshots", timeout=timeout, after=len(worker.log()))


def caught_up(settings, by_facility: dict[str, list[Envelope]], upto: list[Envelope]) -> dict:
    ids = {id(e) for e in upto}
    return {
        f: asyncio.run(read_board_until_caught_up(settings, f, expected_positions([e for e in es if id(e) in ids])))
        for f, es in by_facility.items()
    }


def test_a_killed_worker_hands_its_facilities_over_and_takes_them_back(worker_settings, five_facilities, tmp_path):
    parts = thirds(five_facilities)
    homes = {name: worker_settings.model_copy(update={"data_dir": tmp_path / name}) for name in ("a", "b")}
    workers = {name: WorkerProcess(s, tmp_path / f"worker-{name}.log") for name, s in homes.items()}
    try:
        asyncio.run(produce(worker_settings, parts[0]))
        workers["a"].start()
        wait_until_owning(workers["a"], {0, 1, 2})
        workers["b"].start()
        wait_until_owning(workers["b"], None)
        wait_until_owning(workers["a"], {0, 1, 2} - set(owned(workers["b"]) or []))
        caught_up(worker_settings, five_facilities, parts[0])

        # A dies without warning; B takes all partitions and the boards go on.
        lost = set(owned(workers["a"]) or [])
        workers["a"].kill()
        asyncio.run(produce(worker_settings, parts[1]))
        wait_until_owning(workers["b"], {0, 1, 2})
        caught_up(worker_settings, five_facilities, parts[0] + parts[1])

        # A comes back (its local tables discarded, rebuilt from the changelogs).
        restarted_at = len(workers["a"].log())
        workers["a"].start()
        wait_until_owning(workers["a"], None, after=restarted_at)
        asyncio.run(produce(worker_settings, parts[2]))
        boards = caught_up(worker_settings, five_facilities, parts[0] + parts[1] + parts[2])
    finally:
        codes = {name: worker.stop() for name, worker in workers.items()}

    assert lost, "worker A owned no partition when it was killed: nothing was handed over"
    assert codes["b"] == 0
    for facility, messages in boards.items():
        expected = offline_board(five_facilities[facility])
        final = snapshot_board(messages[-1])
        assert final == expected, f"{facility}: {differences(final, expected)}"
        seqs = [m.seq for m in messages]
        assert all(b > a for a, b in zip(seqs, seqs[1:])), f"{facility}: seq went back: {seqs}"
        unhealed = [m.seq for prev, m in zip(messages, messages[1:]) if m.seq != prev.seq + 1 and m.type != "snapshot"]
        assert not unhealed, f"{facility}: deltas after a gap, before any snapshot: {unhealed}"
        # A client that read the whole stream ends in sync. The last message may be
        # the snapshot a worker publishes when it takes partitions over, carrying
        # events folded before it: the client applies it like any other.
        view = BoardView()
        for message in messages:
            view.apply(message)
        assert view.in_sync and unflagged(view.entities) == unflagged(expected), facility
    for worker in workers.values():
        assert "Traceback" not in worker.log(), worker.log()[-3000:]
