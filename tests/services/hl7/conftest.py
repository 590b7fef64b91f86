"""An MLLP listener running in this process (its own event loop thread) over a
real event store, and the real `mllp_send` client of the `hl7` package."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from base.facility import load_facility
from events.envelope import Actor
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from services.hl7.mllp import MllpListener
from services.recording import Meta
from tests.conftest import FIXTURES

SAMPLES = FIXTURES / "hl7"
MLLP_SEND = Path(sys.executable).parent / "mllp_send"
SETUP_TIME = datetime(2000, 1, 1, tzinfo=UTC)
# The senders the samples and test messages come from, as the demo facility file lists them.
DEMO_SENDERS = tuple(load_facility(Path(__file__).parents[3] / "deploy" / "facilities" / "demo.toml").hl7_senders)
# The beds the samples name (PV1-3 / PV1-6), as "<point of care>-<bed>" at their MSH-4 facility.
SAMPLE_BEDS = {
    "GHHSFacility": ["HUH AE OMU-Bed 03", "4 East, room 136, bed B 4E-B"],
    "W": ["ZFAST TRACK-13"],
    "HNA500": ["MBN1-06"],
}


def sample(name: str) -> bytes:
    """A sample as-is, normalised only to CR segment ends."""
    return (SAMPLES / name).read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")


def frame(message: bytes) -> bytes:
    return b"\x0b" + message + b"\x1c\r"


def setup_meta(facility_id: str) -> Meta:
    return Meta(facility_id=facility_id, occurred_at=SETUP_TIME, actor=Actor(id="test-setup", role="admin"))


def register_sample_beds(app) -> None:
    for facility_id, beds in SAMPLE_BEDS.items():
        for bed_id in beds:
            app.register_bed(setup_meta(facility_id), bed_id, unit="ED")


class RunningListener:
    def __init__(self, app, options: FeedOptions, max_frame_bytes: int, tls=None):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.listener = MllpListener(Intake(app, options), "127.0.0.1", 0, max_frame_bytes, tls)
        self.host, self.port = self.call(self.listener.start())

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def stop(self) -> None:
        self.call(self.listener.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def send(self, tmp_path: Path, *messages: bytes) -> list[bytes]:
        """Send messages on one connection with `mllp_send`; one reply per message."""
        path = tmp_path / f"outbound-{len(list(tmp_path.glob('outbound-*')))}.hl7"
        path.write_bytes(b"".join(frame(m) for m in messages))
        done = subprocess.run(
            [str(MLLP_SEND), "--port", str(self.port), "--file", str(path), self.host],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        replies = [r for r in done.stdout.split(b"\x0b") if r.strip()]
        assert len(replies) == len(messages), done.stdout
        return [r.split(b"\x1c")[0] for r in replies]

    def events(self) -> int:
        """How many facts the store holds (kept ACKs and receipts are not facts)."""
        return len(facts(self.app))


def facts(app) -> list:
    notifications = app.recorder.select_notifications(1, 100_000)
    return [f for n in notifications if (f := getattr(app.mapper.to_domain_event(n), "fact", None)) is not None]


def segments(reply: bytes, name: str) -> list[list[str]]:
    return [line.split("|") for line in reply.decode().split("\r") if line.startswith(name + "|")]


def ack_code(reply: bytes) -> str:
    return segments(reply, "MSA")[0][1]


@pytest.fixture
def feed_options() -> FeedOptions:
    return FeedOptions(default_facility="main", timezone="America/Chicago", senders=DEMO_SENDERS)


@pytest.fixture
def running(hospital, feed_options) -> Iterator[RunningListener]:
    register_sample_beds(hospital)
    running = RunningListener(hospital, feed_options, max_frame_bytes=64 * 1024)
    yield running
    running.stop()


@pytest.fixture
def sqlite_hospital(sqlite_settings):
    from services.hospital import Hospital

    app = Hospital(sqlite_settings)
    yield app
    app.close()


@pytest.fixture
def running_sqlite(sqlite_hospital, feed_options) -> Iterator[RunningListener]:
    register_sample_beds(sqlite_hospital)
    running = RunningListener(sqlite_hospital, feed_options, max_frame_bytes=64 * 1024)
    yield running
    running.stop()
