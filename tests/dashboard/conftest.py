"""A real dashboard: uvicorn on a free port in the test's loop, reading a
board topic on the real broker that the test itself publishes to."""

from __future__ import annotations

import asyncio
import socket
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
import uvicorn
import websockets
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from fastapi import FastAPI
from websockets.typing import Origin, Subprotocol

from base import kafka_clients
from base.auth import mint_token
from base.settings import Settings
from base.topics import create_topics
from dashboard.app import attach
from dashboard.fanout import Fanout
from dashboard.protocol import PROTOCOL, Deltas, decode_frame, frame_type
from dashboard.subscriber import Tuning
from events.board import (
    AppointmentChange,
    AppointmentValue,
    BedChange,
    BedStatus,
    BedValue,
    BoardMessage,
    CapacityChange,
    CapacityValue,
    EncounterChange,
    EncounterValue,
    EntityChange,
    Nedocs,
    NedocsInputs,
    encode_board,
)

ORIGIN = "http://board.test"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def board_settings(tmp_path: Path, kafka_bootstrap: str, topic_prefix: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        jwt_secret="dashboard-test-secret-0123456789abcdef",
        allowed_origins=[ORIGIN],
    )


@pytest.fixture
def token(board_settings: Settings) -> str:
    return mint_token(board_settings, "nurse-1", "charge-nurse", ["demo", "north"])


class Board:
    """Publishes a facility's board stream the way the projection worker does."""

    def __init__(self, producer: AIOKafkaProducer, topic: str):
        self.producer, self.topic = producer, topic

    async def publish(
        self,
        facility: str,
        seq: int,
        kind: Literal["snapshot", "delta"] = "delta",
        changes: Sequence[EntityChange] = (),
    ) -> None:
        message = BoardMessage(
            facility_id=facility, seq=seq, type=kind, as_of=T0 + timedelta(minutes=seq), changes=list(changes)
        )
        await self.producer.send_and_wait(self.topic, encode_board(message), key=facility.encode())


@pytest.fixture
async def board(board_settings: Settings) -> AsyncIterator[Board]:
    await create_topics(board_settings)
    admin = kafka_clients.admin(board_settings)
    await admin.start()
    try:  # where the dashboard asks the projection worker for snapshots
        await admin.create_topics([NewTopic(board_settings.topics.board_requests, board_settings.topic_partitions, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=board_settings.kafka_bootstrap, linger_ms=0)
    await producer.start()
    yield Board(producer, board_settings.topics.board)
    await producer.stop()


class Server:
    def __init__(self, url: str, fanout: Fanout, settings: Settings):
        self.url, self.fanout, self.settings = url, fanout, settings

    async def caught_up(self, facility: str, seq: int, timeout: float = 20.0) -> None:
        """Waits until this server's fan-out has folded the board stream up to `seq`."""
        async with asyncio.timeout(timeout):
            while (held := self.fanout.boards.get(facility)) is None or (held.seq or 0) < seq:
                await asyncio.sleep(0.02)

    def connect(
        self, token: str, facility: str = "demo", origin: str = ORIGIN, query: dict | None = None, **options
    ) -> websockets.connect:
        params = "&".join(f"{k}={v}" for k, v in {"facility": facility, **(query or {})}.items())
        return websockets.connect(
            f"{self.url}/ws/board?{params}",
            origin=Origin(origin),
            subprotocols=[Subprotocol(PROTOCOL), Subprotocol(f"bearer.{token}")],
            open_timeout=10,
            max_size=None,
            **options,
        )


@pytest.fixture
def tuning() -> Tuning:
    return Tuning(ping_seconds=30, silent_seconds=90)


@pytest.fixture
async def server(board_settings: Settings, board: Board, tuning: Tuning) -> AsyncIterator[Server]:
    app = FastAPI()
    fanout = attach(app, board_settings, tuning)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(uv.serve())
    while not uv.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield Server(f"ws://127.0.0.1:{port}", fanout, board_settings)
    uv.should_exit = True
    await asyncio.wait_for(serving, 15)


_unread: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def next_frame(ws, timeout: float = 15.0, skip: tuple[str, ...] = ("ping", "status")):
    """The next frame that is not a heartbeat (or a waiting notice); the deltas
    of a `deltas` frame come one by one, as the page applies them."""
    while True:
        held = _unread.setdefault(ws, deque())
        if held:
            return held.popleft()
        frame = decode_frame(await asyncio.wait_for(ws.recv(), timeout))
        if isinstance(frame, Deltas):
            held.extend(frame.deltas)
        elif frame_type(frame) not in skip:
            return frame


def bed(bed_id: str, status: BedStatus, unit: str = "A", encounter_id: str | None = None) -> BedChange:
    value = BedValue(
        unit=unit,
        bed_type="acute",
        label=bed_id,
        status=status,
        encounter_id=encounter_id,
        since=T0.isoformat(),
        reason=None,
    )
    return BedChange(id=bed_id, value=value)


def encounter(encounter_id: str, initials: str, chief_complaint: str = "chest pain") -> EncounterChange:
    value = EncounterValue(
        initials=initials,
        age_years=40,
        sex="F",
        chief_complaint=chief_complaint,
        esi=3,
        arrival_mode="walk-in",
        arrived_at=T0.isoformat(),
        triaged_at=None,
        provider_id=None,
        provider_at=None,
        bed_id=None,
        unit=None,
        roomed_at=None,
        admit_decided_at=None,
        status="waiting",
        over_target=False,
        wait_target_minutes=60,
    )
    return EncounterChange(id=encounter_id, value=value)


def appointment(appointment_id: str, department: str = "cardiology") -> AppointmentChange:
    value = AppointmentValue(
        department=department,
        appointment_type="outpatient-visit",
        start=T0.isoformat(),
        end=(T0 + timedelta(minutes=30)).isoformat(),
        status="booked",
        insurance="verified",
        provider_id="dr-1",
        initials="LW",
    )
    return AppointmentChange(id=appointment_id, value=value)


def capacity(census: int, waiting: int) -> CapacityChange:
    inputs = NedocsInputs(
        ed_patients=census,
        ed_beds=10,
        admitted_boarders=0,
        inpatient_beds=300,
        ventilated=0,
        longest_boarding_hours=0.0,
        last_bedded_wait_hours=0.0,
    )
    value = CapacityValue(
        census=census,
        beds_total=10,
        beds_occupied=0,
        beds_available=10,
        beds_dirty=0,
        beds_blocked=0,
        waiting=waiting,
        untriaged=0,
        boarders=0,
        longest_boarding_minutes=0.0,
        nedocs=Nedocs(score=None, band="unknown", variant="test", inputs=inputs),
    )
    return CapacityChange(id="ed", value=value)
