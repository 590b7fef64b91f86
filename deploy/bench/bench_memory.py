"""Resident memory of the projection worker and the board server holding
20 facilities × 1 day of simulated history, each beside the same process
idle (started on empty topics) in the same run.

One ED day (`record_day`: arrivals, triage, beds, discharges, appointments)
is recorded once and published as the day of each of --facilities
facilities. Then:

  worker        `edflow worker` (RocksDB tables) drains the backlog to zero
                committed lag; its RSS is read then, with its peak (VmHWM)
  board server  the dashboard as `edflow serve` runs it reads the board
                topic the worker wrote, holds every facility's board, and
                serves --clients board clients spread over the facilities

Prints figures; asserts nothing. Needs the broker.

    .venv/bin/python deploy/bench/bench_memory.py [--facilities 20] [--patients 300] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from base.auth import mint_token  # noqa: E402
from base.settings import Settings  # noqa: E402
from deploy.bench.bench_fanout import Clients, free_port, spawn, wait_port  # noqa: E402
from deploy.bench.bench_worker import across_facilities, sample_worker  # noqa: E402
from deploy.bench.fanout_servers import SECRET  # noqa: E402
from tests.conftest import Clock  # noqa: E402
from tests.projections.runtime.kafka_io import WorkerProcess, prepare_topics, produce  # noqa: E402
from tests.projections.runtime.scenario import record_day  # noqa: E402


def memory(pid: int) -> tuple[int, int]:
    """(RSS, peak RSS) of a process, in bytes."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def idle_worker(home: Path) -> tuple[int, int]:
    prefix = f"benchidle{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=home / "idle-worker", topic_prefix=prefix, worker_id=f"{prefix}-projections")
    asyncio.run(prepare_topics(settings))
    worker = WorkerProcess(settings, home / "idle-worker.log").start()
    try:
        worker.wait_for_log("requesting board snapshots", timeout=120)
        time.sleep(2)
        assert worker.process is not None
        return memory(worker.process.pid)
    finally:
        worker.stop()


def loaded_worker(settings: Settings, home: Path, total: int) -> tuple[int, int, float]:
    worker = WorkerProcess(settings, home / "worker.log").start()
    try:
        elapsed, _ = asyncio.run(sample_worker(settings, total, worker))
        assert worker.process is not None
        rss, peak = memory(worker.process.pid)
        return rss, peak, elapsed
    finally:
        worker.stop()


async def board_server(prefix: str, facilities: list[str], clients: int) -> tuple[int, int, int, int]:
    """(RSS holding the boards, peak, RSS with the clients connected, peak) of the board server."""
    settings = Settings(topic_prefix=prefix, jwt_secret=SECRET)
    token = mint_token(settings, "bench", "coordinator", facilities or ["none"])
    port = free_port()
    server = spawn("edflow", str(port), prefix)
    try:
        await wait_port(port, server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/board/facilities", headers={"Authorization": f"Bearer {token}"}
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with urllib.request.urlopen(request) as response:
                if len(json.load(response)["facilities"]) >= len(facilities):
                    break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
        held = memory(server.pid)
        audiences = [
            Clients(
                f"ws://127.0.0.1:{port}/ws/board?facility={facilities[n % len(facilities)]}",
                1,
                [Subprotocol("edflow.v1"), Subprotocol(f"bearer.{token}")],
                None,
            )
            for n in range(clients)
        ]
        await asyncio.sleep(0 if facilities else 3)  # empty topics: the reader has settled
        for start in range(0, clients, 50):
            await asyncio.gather(*(a.connect() for a in audiences[start : start + 50]))
        await asyncio.sleep(3)  # every client's snapshot sent
        served = memory(server.pid)
        await asyncio.gather(*(a.close() for a in audiences))
        return (*held, *served)
    finally:
        server.terminate()
        server.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facilities", type=int, default=20)
    parser.add_argument("--patients", type=int, default=300, help="patients in the simulated day of each facility")
    parser.add_argument("--clients", type=int, default=200, help="board clients, spread over the facilities")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edflow-bench-") as tmp:
        measure(args, Path(tmp))


def measure(args: argparse.Namespace, home: Path) -> None:
    console = Console()
    prefix = f"benchmem{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=home / "worker-home", topic_prefix=prefix, worker_id=f"{prefix}-projections")
    day = record_day(home / "store", Clock(), args.patients, facility_id="bench")
    envelopes = across_facilities(day, args.facilities)
    asyncio.run(prepare_topics(settings))
    total = asyncio.run(produce(settings, envelopes))
    console.print(f"backlog: {total:,} events, {args.facilities} facilities × 1 day of {args.patients} patients")

    idle_rss, idle_peak = idle_worker(home)
    rss, peak, elapsed = loaded_worker(settings, home, total)
    console.print(f"worker drained the backlog in {elapsed:.1f} s")
    facilities = sorted({e.facility_id for e in envelopes})
    empty = asyncio.run(board_server(f"benchidle{uuid.uuid4().hex[:8]}", [], 0))
    board = asyncio.run(board_server(prefix, facilities, args.clients))

    mib = 2**20
    table = Table(title=f"Resident memory, {args.facilities} facilities × 1 day ({total:,} events), MiB")
    for column in ("process", "idle (empty topics)", "holding the day", "peak", "with clients", "peak"):
        table.add_column(column, justify="left" if column == "process" else "right")
    table.add_row("edflow worker", f"{idle_rss / mib:.0f}", f"{rss / mib:.0f}", f"{peak / mib:.0f}", "", "")
    table.add_row(
        f"board server ({args.clients} clients)",
        f"{empty[0] / mib:.0f}",
        f"{board[0] / mib:.0f}",
        f"{board[1] / mib:.0f}",
        f"{board[2] / mib:.0f}",
        f"{board[3] / mib:.0f}",
    )
    console.print(table)


if __name__ == "__main__":
    main()
