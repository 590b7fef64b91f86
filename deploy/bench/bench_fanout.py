"""How well the dashboard fans the board out to many WebSocket clients,
against a bare `websockets` broadcast server of the same deltas, measured in
the same run:

  bare websockets   a timer in the server process broadcasts each delta,
                    pre-encoded, with websockets.broadcast as its own message
                    (no broker, no auth, no coalescing)
  edflow dashboard  deltas produced to the board topic, read by the
                    dashboard's one consumer, fanned out by the dashboard
                    (uvicorn + FastAPI, configured as `edflow serve` runs it)
                    to authenticated clients: a facility's deltas of one tick
                    go out as one message, encoded once for all clients

Latency = client receive time - the time the delta was sent (produced to the
broker for edflow, broadcast for bare), per delta. Server CPU = the server
process's CPU time over the run / deltas delivered to all clients.
--compression on: clients offer permessage-deflate, as browsers do (the bare
server accepts and compresses per client; `edflow serve` declines). The
clients share the machine with the servers, so figures at high fan-out
include client-side queueing.

Prints a table; asserts nothing. Needs the broker (bash deploy/kafka.sh start).

    .venv/bin/python deploy/bench/bench_fanout.py [--clients 100,1000] [--rates 10,50] [--seconds 6]
        [--compression on|off]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import websockets
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from websockets.typing import Origin, Subprotocol

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from base.settings import Settings  # noqa: E402
from deploy.bench.fanout_servers import FACILITY, ORIGIN, SECRET, delta_changes, sent_at, sent_times  # noqa: E402
from events.board import BoardMessage, encode_board  # noqa: E402

# -- the measuring side --------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clients:
    def __init__(self, url: str, count: int, subprotocols: list[Subprotocol] | None, compression: str | None):
        self.url, self.count, self.subprotocols, self.compression = url, count, subprotocols, compression
        self.latencies: list[float] = []
        self.delivered = 0  # deltas
        self.messages = 0  # WebSocket messages that carried them
        self.sockets: list = []
        self.readers: list[asyncio.Task] = []

    async def connect(self) -> None:
        async def one() -> None:
            ws = await websockets.connect(
                self.url,
                origin=Origin(ORIGIN),
                subprotocols=self.subprotocols,
                open_timeout=60,
                max_size=None,
                ping_interval=None,
                compression=self.compression,
            )
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(self.read(ws)))

        for start in range(0, self.count, 100):
            await asyncio.gather(*(one() for _ in range(min(100, self.count - start))))

    async def read(self, ws) -> None:
        try:
            async for raw in ws:
                now, sent = time.time(), sent_times(raw)
                if sent:
                    self.messages += 1
                    self.delivered += len(sent)
                    self.latencies.extend(now - at for at in sent)
        except websockets.ConnectionClosed:
            pass

    async def settle(self, expected: int, quiet: float = 2.0, limit: float = 60.0) -> None:
        """Wait until every delta arrived, or nothing more arrives for `quiet` s."""
        deadline, last, since = time.monotonic() + limit, -1, time.monotonic()
        while self.delivered < expected and time.monotonic() < deadline:
            if self.delivered != last:
                last, since = self.delivered, time.monotonic()
            elif time.monotonic() - since > quiet:
                return
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def wait_port(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        assert process.poll() is None, "the server exited"
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def spawn(*args: str) -> subprocess.Popen:
    servers = Path(__file__).with_name("fanout_servers.py")
    return subprocess.Popen([sys.executable, str(servers), *args], cwd=REPO, stderr=subprocess.DEVNULL)


def summary(name: str, clients: int, rate: float, seconds: float, audience: Clients, cpu: float) -> dict:
    ordered = sorted(audience.latencies) or [float("nan")]
    delivered = audience.delivered
    return {
        "server": name,
        "clients": clients,
        "rate": rate,
        "expected": int(rate * seconds) * clients,
        "delivered": delivered,
        "messages": audience.messages,
        "p50": 1000 * statistics.median(ordered),
        "p99": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "cpu_us": 1e6 * cpu / delivered if delivered else float("nan"),
    }


async def run_bare(clients: int, rate: float, seconds: float, compression: str | None) -> dict:
    port = free_port()
    server = spawn("bare", str(port), str(clients), str(rate), str(seconds))
    try:
        await wait_port(port, server)
        audience = Clients(f"ws://127.0.0.1:{port}", clients, None, compression)
        await audience.connect()
        before = cpu_seconds(server.pid)
        await asyncio.sleep(0.5 + seconds)
        await audience.settle(int(rate * seconds) * clients)
        cpu = cpu_seconds(server.pid) - before
        await audience.close()
        return summary("bare websockets", clients, rate, seconds, audience, cpu)
    finally:
        server.kill()
        server.wait()


async def run_edflow(
    clients: int, rate: float, seconds: float, compression: str | None, producer, prefix: str, seq_from: int
) -> tuple[dict, int]:
    from base.auth import mint_token

    settings = Settings(topic_prefix=prefix, jwt_secret=SECRET)
    token = mint_token(settings, "bench", "coordinator", [FACILITY])
    port = free_port()
    server = spawn("edflow", str(port), prefix)
    try:
        await wait_port(port, server)
        audience = Clients(
            f"ws://127.0.0.1:{port}/ws/board?facility={FACILITY}",
            clients,
            [Subprotocol("edflow.v1"), Subprotocol(f"bearer.{token}")],
            compression,
        )
        await audience.connect()
        before = cpu_seconds(server.pid)
        start = time.perf_counter()
        seq = seq_from
        for n in range(1, int(rate * seconds) + 1):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            seq += 1
            message = BoardMessage(
                facility_id=FACILITY, seq=seq, type="delta", as_of=sent_at(time.time()), changes=delta_changes(seq)
            )
            await producer.send(settings.topics.board, encode_board(message), key=FACILITY.encode())
        await audience.settle(int(rate * seconds) * clients)
        cpu = cpu_seconds(server.pid) - before
        await audience.close()
        return summary("edflow dashboard", clients, rate, seconds, audience, cpu), seq
    finally:
        server.terminate()
        server.wait(20)


async def main(args: argparse.Namespace) -> None:
    from base import kafka_clients
    from base.topics import create_topics

    prefix = f"benchfan{uuid.uuid4().hex[:8]}"
    settings = Settings(topic_prefix=prefix)
    await create_topics(settings)
    producer = kafka_clients.producer(settings, linger_ms=0)
    await producer.start()
    await producer.send_and_wait(
        settings.topics.board,
        encode_board(BoardMessage(facility_id=FACILITY, seq=1, type="snapshot", as_of=None, changes=delta_changes(1))),
        key=FACILITY.encode(),
    )
    seq, rows = 1, []
    compression = "deflate" if args.compression == "on" else None
    plan = [(c, r) for c in args.clients for r in args.rates]
    with Progress(transient=True) as progress:
        task = progress.add_task("fan-out runs", total=2 * len(plan))
        for clients, rate in plan:
            rows.append(await run_bare(clients, rate, args.seconds, compression))
            progress.advance(task)
            row, seq = await run_edflow(clients, rate, args.seconds, compression, producer, prefix, seq)
            rows.append(row)
            progress.advance(task)
    await producer.stop()
    table = Table(
        title=f"Board fan-out, {args.seconds:g} s per run, clients offer permessage-deflate: {args.compression} "
        "(latency in ms; server CPU per delivered delta in µs)"
    )
    columns = ("server", "clients", "updates/s", "deltas delivered / expected", "WS messages", "p50", "p99",
               "p99 / bare", "server CPU/delta")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "server" else "right")
    bare_p99 = 0.0
    for row in rows:
        bare_p99 = row["p99"] if row["server"] == "bare websockets" else bare_p99
        table.add_row(
            row["server"],
            str(row["clients"]),
            f"{row['rate']:g}",
            f"{row['delivered']} / {row['expected']}",
            str(row["messages"]),
            f"{row['p50']:.1f}",
            f"{row['p99']:.1f}",
            f"{row['p99'] / bare_p99:.2f}x" if bare_p99 else "",
            f"{row['cpu_us']:.1f}",
        )
    Console(width=140).print(table)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1000])
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[10.0, 50.0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument(
        "--compression",
        choices=["on", "off"],
        default="on",
        help="whether clients offer permessage-deflate (browsers do)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
