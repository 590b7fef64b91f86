"""Shared fixtures. Every backend-dependent test runs against SQLite and
PostgreSQL; integration tests use the real broker started by deploy/kafka.sh.
Missing infrastructure fails loudly: nothing here skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from base.settings import Settings
from events.envelope import Actor
from services.hospital import Hospital
from services.recording import Meta

POSTGRES_ENV = "EDFLOW_TEST_POSTGRES_DSN"
# Messages written by others, copied unchanged (tests/fixtures/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def postgres_dsn() -> str:
    dsn = os.environ.get(POSTGRES_ENV)
    if not dsn:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: start PostgreSQL with `bash deploy/postgres.sh start` and export its DSN"
        )
    return dsn


@pytest.fixture
def fresh_postgres_dsn() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    import psycopg

    base = postgres_dsn()
    name = f"edflow_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path: Path) -> Settings:
    """Settings for an empty event store of each backend."""
    if request.param == "postgres":
        dsn = request.getfixturevalue("fresh_postgres_dsn")
        return Settings(data_dir=tmp_path, event_store="postgres", postgres_dsn=dsn)
    return Settings(data_dir=tmp_path, event_store="sqlite")


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, event_store="sqlite")


@pytest.fixture
def hospital(settings: Settings) -> Iterator[Hospital]:
    app = Hospital(settings)
    yield app
    app.close()


class Clock:
    """Event time for tests: each call moves on by `step`."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(minutes=1)):
        self.now, self.step = start, step

    def meta(self, facility_id: str = "fac-1", role: str = "charge-nurse", at: datetime | None = None) -> Meta:
        if at is None:
            self.now += self.step
            at = self.now
        return Meta(facility_id=facility_id, occurred_at=at, actor=Actor(id="user-1", role=role))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kafka_bootstrap() -> str:
    """The real broker (deploy/kafka.sh start). Fails, never skips, if absent."""
    import socket

    bootstrap = os.environ.get("EDFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError:
        pytest.fail(f"no Kafka broker at {bootstrap}: start it with `bash deploy/kafka.sh start`")
    return bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """Topics unique to one test, so tests never see each other's records."""
    return f"t{uuid.uuid4().hex[:10]}"
