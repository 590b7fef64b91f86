"""Two `edflow serve` processes over one board topic show the same board; a
board client whose server is killed reconnects to the other with its last
seq and epoch, resumes there, and ends with the board the other serves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic
from websockets.typing import Origin, Subprotocol

from base import kafka_clients
from base.auth import mint_token
from base.settings import Settings
from base.topics import create_topics
from dashboard.protocol import PROTOCOL, Delta, Resumed, ServerFrame, Snapshot
from events.board import BoardValue
from services.hospital import Hospital
from tests.dashboard.conftest import Board, bed, encounter, next_frame
from tests.deploy.servers import ORIGIN, SECRET, ServeProcess, two_servers
from tests.kafka_topics import delete_topics

pytestmark = pytest.mark.kafka
FACILITY = "fac-1"


async def _board_topics(settings: Settings) -> None:
    await create_topics(settings)
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:  # where the servers ask the projection worker for snapshots
        await admin.create_topics([NewTopic(settings.topics.board_requests, settings.topic_partitions, 1)])
        await admin.close()
    except BaseException:
        await admin.close()
        raise


@pytest.fixture
def board_home(tmp_path: Path, kafka_bootstrap: str, topic_prefix: str) -> Iterator[Settings]:
    settings = Settings(
        data_dir=tmp_path / "home",
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        jwt_secret=SECRET,
        allowed_origins=[ORIGIN],
    )
    Hospital(settings).close()  # the store exists before two servers open it
    asyncio.run(_board_topics(settings))
    yield settings
    asyncio.run(delete_topics(settings))


def connect(server: ServeProcess, token: str, **query: str | int) -> websockets.connect:
    params = "&".join(f"{k}={v}" for k, v in {"facility": FACILITY, **query}.items())
    return websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws/board?{params}",
        origin=Origin(ORIGIN),
        subprotocols=[Subprotocol(PROTOCOL), Subprotocol(f"bearer.{token}")],
        open_timeout=10,
        max_size=None,
    )


class ClientBoard:
    """What a board client holds: the protocol's rules, applied strictly."""

    def __init__(self) -> None:
        self.seq, self.epoch = 0, ""
        self.entities: dict[tuple[str, str], BoardValue] = {}

    def apply(self, frame: ServerFrame) -> None:
        if isinstance(frame, Snapshot):
            self.seq, self.epoch = frame.seq, frame.epoch
            self.entities = {(c.kind, c.id): c.value for c in frame.changes if c.value is not None}
        elif isinstance(frame, Resumed):
            assert (frame.since, frame.epoch) == (self.seq, self.epoch), frame
        elif isinstance(frame, Delta):
            assert (frame.seq, frame.epoch) == (self.seq + 1, self.epoch), f"gap: held {self.seq}, got {frame}"
            self.seq = frame.seq
            for change in frame.changes:
                if change.value is None:
                    self.entities.pop((change.kind, change.id), None)
                else:
                    self.entities[change.kind, change.id] = change.value
        else:
            raise AssertionError(f"unexpected frame {frame}")


async def read_until(ws, client: ClientBoard, seq: int) -> list[str]:
    kinds = []
    while client.seq < seq:
        frame = await next_frame(ws)
        kinds.append(type(frame).__name__)
        client.apply(frame)
    return kinds


async def wait_closed(ws) -> None:
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 15)


async def test_a_client_of_a_killed_server_resumes_on_the_other_and_both_show_one_board(board_home, tmp_path):
    settings = board_home
    token = mint_token(settings, "nurse-1", "charge-nurse", [FACILITY])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=0)
    await producer.start()
    board = Board(producer, settings.topics.board)
    try:
        await board.publish(FACILITY, 1, "snapshot", [bed("A1", "available"), bed("A2", "available")])
        await board.publish(FACILITY, 2, changes=[encounter("E1", "AL")])
        with two_servers(settings, tmp_path) as (a, b):
            async with connect(a, token) as on_a, connect(b, token) as on_b:
                first_a, first_b = await next_frame(on_a), await next_frame(on_b)
            assert isinstance(first_a, Snapshot) and first_a == first_b

            client = ClientBoard()
            async with connect(a, token) as ws:
                await read_until(ws, client, 2)
                await board.publish(FACILITY, 3, changes=[bed("A1", "occupied", encounter_id="E1")])
                await read_until(ws, client, 3)
                a.kill()
                await wait_closed(ws)
            # Published while the client has no server.
            await board.publish(FACILITY, 4, changes=[encounter("E2", "BK"), bed("A2", "dirty")])
            await board.publish(FACILITY, 5, changes=[bed("A2", "available")])

            async with connect(b, token, since=client.seq, epoch=client.epoch) as ws:
                moved = await read_until(ws, client, 5)
            async with connect(b, token) as ws:
                fresh = await next_frame(ws)
    finally:
        await producer.stop()

    assert moved[0] == "Resumed" and moved[1:] == ["Delta", "Delta"], moved
    assert isinstance(fresh, Snapshot) and fresh.seq == 5
    assert client.entities == {(c.kind, c.id): c.value for c in fresh.changes if c.value is not None}
    assert set(client.entities) == {("bed", "A1"), ("bed", "A2"), ("encounter", "E1"), ("encounter", "E2")}
