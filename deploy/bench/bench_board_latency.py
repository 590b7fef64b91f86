"""End to end, from a command to the board: how long after a charge nurse's
POST the change reaches a board client, at a steady command rate, through the
real chain (`edflow serve` → store → `edflow relay` → broker → `edflow
worker` → broker → dashboard → WebSocket). Measured in the same run, as the
baseline: the POST's own round trip (validated, recorded, answered).

Commands block and unblock the demo hospital's beds in turn, one event each
(`--commands beds`; a bed takes one command at a time, so past ~40/s they
queue behind each other), or register arrivals and departures, each command
on a visit of its own (`--commands visits`: one event each, no two at once on
the same record, for the high rates). Prints a table; asserts nothing. Needs the broker (bash
deploy/kafka.sh start).

    .venv/bin/python deploy/bench/bench_board_latency.py [--rates 5,20] [--seconds 8]
    .venv/bin/python deploy/bench/bench_board_latency.py --commands visits --rates 100,250,500 [--servers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import msgspec
import websockets
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from websockets.typing import Origin, Subprotocol

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.e2e.chain import Chain  # noqa: E402

FACILITY = "demo"
CENSUS = 60  # open visits kept by --commands visits


def percentiles(samples: list[float]) -> tuple[float, float, int]:
    ordered = sorted(samples) or [float("nan")]
    return (
        1000 * statistics.median(ordered),
        1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        len(samples),
    )


class Watcher:
    """A board client that notes when each awaited bed status arrives."""

    def __init__(self):
        self.beds: dict[str, str] = {}
        self.awaited: dict[tuple[str, str], float] = {}
        self.encounters: dict[str, float] = {}  # visit id -> when it first reached the board
        self.gone: dict[str, float] = {}  # visit id -> when it left the board
        self.latencies: list[float] = []
        self.ready = asyncio.Event()

    def visits(self) -> dict[tuple[str, bool], float]:
        """(visit, arrived) -> when it reached the board; (visit, False): when it left it."""
        return {(v, True): t for v, t in self.encounters.items()} | {(v, False): t for v, t in self.gone.items()}

    async def follow(self, url: str, token: str, origin: str) -> None:
        async with websockets.connect(
            url,
            origin=Origin(origin),
            subprotocols=[Subprotocol("edflow.v1"), Subprotocol(f"bearer.{token}")],
            max_size=None,
        ) as ws:
            async for raw in ws:
                frame = msgspec.json.decode(raw)
                if frame["type"] == "ping":
                    await ws.send('{"type": "pong"}')
                if frame["type"] not in ("snapshot", "delta", "deltas"):
                    continue
                now = time.perf_counter()
                changes = frame["changes"] if "changes" in frame else [c for d in frame["deltas"] for c in d["changes"]]
                for change in changes:
                    if change["kind"] == "encounter":
                        seen = self.encounters if change["value"] else self.gone
                        seen.setdefault(change["id"], now)
                    if change["kind"] == "bed" and change["value"]:
                        status = change["value"]["status"]
                        self.beds[change["id"]] = status
                        started = self.awaited.pop((change["id"], status), None)
                        if started is not None:
                            self.latencies.append(now - started)
                if len(self.beds) >= 40:
                    self.ready.set()


async def measure_visits(
    urls: list[str], token: str, watcher: Watcher, rate: float, seconds: float, census: deque[str]
) -> dict:
    """Commands at `rate`, each on a visit of its own: arrivals until `CENSUS`
    visits are open, then arrivals and departures (left without being seen,
    the oldest open visit) in turn, so the waiting room stays the size of a
    busy ED's. From the POST's start to the visit's first appearance on the
    board, or its leaving it (either may come before the answer). Commands
    go to the servers (`urls`, one store) in turn."""
    posts: list[float] = []
    sent: dict[tuple[str, bool], float] = {}  # (visit, arriving) -> when its command started
    async with AsyncExitStack() as stack:
        headers = {"Authorization": f"Bearer {token}"}
        clients = [await stack.enter_async_context(httpx.AsyncClient(base_url=u, headers=headers)) for u in urls]

        async def arrive(http: httpx.AsyncClient, number: str) -> None:
            body = {"visit_number": number, "patient": {"age_years": 40, "sex": "F"}, "chief_complaint": "bench"}
            started = time.perf_counter()
            response = await http.post(f"/api/v1/facilities/{FACILITY}/encounters", json=body)
            response.raise_for_status()
            posts.append(time.perf_counter() - started)
            sent[(response.json()["id"], True)] = started
            census.append(response.json()["id"])

        async def leave(http: httpx.AsyncClient, visit: str) -> None:
            started = sent[(visit, False)] = time.perf_counter()
            path = f"/api/v1/facilities/{FACILITY}/encounters/{visit}/left-without-being-seen"
            (await http.post(path, json={})).raise_for_status()
            posts.append(time.perf_counter() - started)

        tasks, start, tag = [], time.perf_counter(), uuid.uuid4().hex[:8]
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            leaving, http = n % 2 == 1 and len(census) > CENSUS, clients[n % len(clients)]
            tasks.append(asyncio.create_task(leave(http, census.popleft()) if leaving else arrive(http, f"B{tag}{n}")))
        await asyncio.gather(*tasks)
    held = len(posts) / (time.perf_counter() - start)
    for _ in range(100):  # let the last deltas arrive
        if sent.keys() <= watcher.visits().keys():
            break
        await asyncio.sleep(0.1)
    at = watcher.visits()
    latencies = [at[key] - started for key, started in sent.items() if key in at]
    return {
        "rate": rate,
        "held": held,
        "post": percentiles(posts),
        "board": percentiles(latencies),
        "lost": len(sent) - len(latencies),
    }


async def measure(chain: Chain, token: str, watcher: Watcher, rate: float, seconds: float) -> dict:
    beds = sorted(b for b, status in watcher.beds.items() if status in ("available", "blocked"))
    intended = dict(watcher.beds)
    posts: list[float] = []
    watcher.latencies.clear()
    async with httpx.AsyncClient(base_url=chain.url, headers={"Authorization": f"Bearer {token}"}) as http:

        async def command(bed: str, blocking: bool) -> None:
            path = f"/api/v1/facilities/{FACILITY}/beds/{bed}/" + ("block" if blocking else "unblock")
            started = time.perf_counter()
            watcher.awaited[(bed, "blocked" if blocking else "available")] = started
            response = await http.post(path, json={"reason": "benchmark"} if blocking else {})
            response.raise_for_status()
            posts.append(time.perf_counter() - started)

        tasks, start = [], time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            bed = beds[n % len(beds)]
            blocking = intended[bed] != "blocked"
            intended[bed] = "blocked" if blocking else "available"
            tasks.append(asyncio.create_task(command(bed, blocking)))
        await asyncio.gather(*tasks)
    # Commands answered per second of the run: the rate the API and store held.
    held = len(posts) / (time.perf_counter() - start)
    for _ in range(100):  # let the last deltas arrive
        if not watcher.awaited:
            break
        await asyncio.sleep(0.1)
    lost = len(watcher.awaited)
    watcher.awaited.clear()
    return {
        "rate": rate,
        "held": held,
        "post": percentiles(posts),
        "board": percentiles(watcher.latencies),
        "lost": lost,
    }


async def start_watched_chain(
    chain: Chain, ready_seconds: float, servers: int = 1
) -> tuple[str, Watcher, asyncio.Task, list[str]]:
    """Topics, the facility, serve (`servers` of them) + relay + worker, and
    a board client following the facility: the token it uses, the watcher,
    the task to cancel at the end and the servers' URLs."""
    chain.create_topics()
    chain.run("facility", "load")
    urls = [chain.serve("serve" if n == 0 else f"serve-{n + 1}") for n in range(servers)]
    chain.start("relay", "relay")
    chain.start("worker", "worker")
    token = chain.token("bench-nurse", "charge-nurse")
    watcher = Watcher()
    url = chain.url.replace("http", "ws") + f"/ws/board?facility={FACILITY}"
    follower = asyncio.create_task(watcher.follow(url, token, chain.url))
    await asyncio.wait_for(watcher.ready.wait(), ready_seconds)
    return token, watcher, follower, urls


async def main(args: argparse.Namespace) -> None:
    chain = Chain(Path(tempfile.mkdtemp(prefix="edflow-bench-")), args.bootstrap, f"benchlat{uuid.uuid4().hex[:8]}")
    rows = []
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("starting serve, relay, worker", total=1 + len(args.rates))
            token, watcher, follower, urls = await start_watched_chain(chain, 120, args.servers)
            census: deque[str] = deque()
            progress.advance(task)
            for rate in args.rates:
                progress.update(task, description=f"{rate:g} commands/s")
                if args.commands == "visits":
                    rows.append(await measure_visits(urls, token, watcher, rate, args.seconds, census))
                else:
                    rows.append(await measure(chain, token, watcher, rate, args.seconds))
                progress.advance(task)
            follower.cancel()
    finally:
        chain.stop_all()
    title = f"Command ({args.commands}) → board latency through the whole chain, {args.seconds:g} s per rate (ms)"
    table = Table(title=title)
    for column in ("commands/s", "held/s", "POST p50", "POST p99", "to board p50", "to board p99", "n", "not seen"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['rate']:g}",
            f"{row['held']:.0f}",
            f"{row['post'][0]:.1f}",
            f"{row['post'][1]:.1f}",
            f"{row['board'][0]:.1f}",
            f"{row['board'][1]:.1f}",
            str(row["board"][2]),
            str(row["lost"]),
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[5.0, 20.0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--commands", choices=("beds", "visits"), default="beds", help="what each command does")
    parser.add_argument(
        "--servers", type=int, default=1, help="`edflow serve` processes on the one store (--commands visits)"
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    asyncio.run(main(parser.parse_args()))
