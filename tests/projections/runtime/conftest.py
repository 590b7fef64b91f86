"""Fixtures for the live worker: its settings (unique topics, group and data
dir per test), the worker as a real `edflow worker` subprocess, and a recorded
ED day."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from base.settings import Settings
from tests.conftest import Clock
from tests.projections.runtime.kafka_io import WorkerProcess, prepare_topics
from tests.projections.runtime.scenario import record_day

FACILITY = "fac-1"


@pytest.fixture
def snapshot_every() -> int:
    """Board messages between periodic snapshots (a test module may ask for fewer)."""
    return 40


@pytest.fixture
def worker_settings(tmp_path, topic_prefix: str, kafka_bootstrap: str, snapshot_every: int) -> Settings:
    settings = Settings(
        data_dir=tmp_path / "worker-home",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        worker_id=f"{topic_prefix}-projections",
        board_snapshot_every=snapshot_every,
        # The clock off: these tests compare boards with the fold as of its
        # last event (test_board_clock_live turns it on).
        board_refresh_seconds=0,
    )
    asyncio.run(prepare_topics(settings))
    return settings


@pytest.fixture
def start_worker(worker_settings: Settings, tmp_path) -> Iterator:
    started: list[WorkerProcess] = []

    def start(command: list[str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(worker_settings, tmp_path / "worker.log", command).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def ed_day(tmp_path_factory) -> list:
    """~900 events: 100 patients through the ED, beds turned over, follow-ups booked."""
    return record_day(tmp_path_factory.mktemp("store"), Clock(), patients=100, facility_id=FACILITY)


@pytest.fixture(scope="module")
def busy_ed_day(tmp_path_factory) -> list:
    """~2,700 events: 300 patients."""
    return record_day(tmp_path_factory.mktemp("store"), Clock(), patients=300, facility_id=FACILITY, seed=11)
