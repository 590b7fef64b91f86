"""Three brokers against one, in the same run: a one-node and a three-node
Kafka (deploy/kafka.sh, one after the other, on their own ports and data
directories, away from the broker on 9092/9093), and against each the
steady-state figures of the existing benchmarks:

  commands/s held   POSTs answered per second at each of --rates through
                    `edflow serve` into the store, while relay and worker run
                    (bench_board_latency.py), with POST and command -> board
                    latency p50/p99 and commands whose board change never came
  relay             store -> broker-acknowledged events/s (acks=all), and the
                    raw produce of the same records (bench_relay.py)
  worker            `edflow worker` draining a backlog to zero committed lag:
                    events/s and seconds, against a bare consumer reading and
                    decoding the same records (bench_worker.py)

The one-node cluster is the baseline. Topics on three brokers are replicated
three times with min.insync.replicas=2, so every acknowledged write waits for
a second copy. Both clusters are stopped at the end, on Ctrl-C too. Prints a
table; asserts nothing.

    .venv/bin/python deploy/bench/bench_cluster.py [--events 5000] [--patients 60] [--rates 10,20] [--seconds 8]
        [--port-one 9300] [--port-three 9310]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from base.settings import Settings  # noqa: E402
from base.topics import create_topics  # noqa: E402
from deploy.bench.bench_board_latency import measure, start_watched_chain  # noqa: E402
from deploy.bench.bench_relay import raw_produce, read_and_decode, record_events, relay_all  # noqa: E402
from deploy.bench.bench_worker import across_facilities, baseline_rate, sample_worker  # noqa: E402
from services.hospital import Hospital  # noqa: E402
from tests.conftest import Clock  # noqa: E402
from tests.e2e.chain import Chain, free_port  # noqa: E402
from tests.projections.runtime.kafka_io import WorkerProcess, prepare_topics, produce  # noqa: E402
from tests.projections.runtime.scenario import record_day  # noqa: E402

KAFKA_SH = REPO / "deploy" / "kafka.sh"


class Cluster:
    """A Kafka cluster of `brokers` nodes started by deploy/kafka.sh under `data`."""

    def __init__(self, brokers: int, port: int, data: Path):
        self.brokers = brokers
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDFLOW_KAFKA_", "EDFLOW_DATA_DIR"))}
        env.update(EDFLOW_KAFKA_BROKERS=str(brokers), EDFLOW_KAFKA_PORT=str(port), EDFLOW_DATA_DIR=str(data))
        if brokers == 1:
            env["EDFLOW_KAFKA_CONTROLLER_PORT"] = str(port + 1)
        env.setdefault("EDFLOW_KAFKA_START_TIMEOUT", "180")
        self.env, self.bootstrap = env, ""

    def kafka(self, *args: str) -> str:
        done = subprocess.run(
            ["bash", str(KAFKA_SH), *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"kafka.sh {' '.join(args)} ({self.brokers} brokers) failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        self.kafka("start")
        self.bootstrap = self.kafka("bootstrap").strip()

    def stop(self) -> None:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], env=self.env, capture_output=True, timeout=120, check=False)


def relay_figures(bootstrap: str, events: int, home: Path) -> dict[str, float]:
    settings = Settings(
        data_dir=home, kafka_bootstrap=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}", jwt_secret="b" * 40
    )
    app = Hospital(settings)
    try:
        record_events(app, events)
        asyncio.run(create_topics(settings))
        batches, _ = read_and_decode(app, settings)
        produce_seconds = asyncio.run(raw_produce(settings, batches))
        relayed, relay_seconds = asyncio.run(relay_all(app, settings))
    finally:
        app.close()
    count = sum(len(b.records) for b in batches)
    return {"relay": relayed / relay_seconds, "produce": count / produce_seconds}


def worker_figures(bootstrap: str, patients: int, home: Path) -> dict[str, float]:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=home / "worker-home", kafka_bootstrap=bootstrap, topic_prefix=prefix, worker_id=f"{prefix}-projections"
    )
    envelopes = across_facilities(record_day(home / "store", Clock(), patients, facility_id="bench"), 4)
    asyncio.run(prepare_topics(settings))
    total = asyncio.run(produce(settings, envelopes))
    consume = asyncio.run(baseline_rate(settings, total))
    worker = WorkerProcess(settings, home / "worker.log").start()
    try:
        elapsed, _ = asyncio.run(sample_worker(settings, total, worker))
    finally:
        worker.stop()
    return {
        "backlog": total,
        "worker": total / elapsed,
        "consume": consume,
        "drain": elapsed,
    }


async def latency_figures(bootstrap: str, rates: list[float], seconds: float, home: Path) -> list[dict]:
    chain = Chain(home, bootstrap, f"benchcl{uuid.uuid4().hex[:8]}")
    try:
        token, watcher, follower, _ = await start_watched_chain(chain, 180)
        await measure(chain, token, watcher, rates[0], min(seconds, 3.0))  # warm-up, not counted
        rows = [await measure(chain, token, watcher, rate, seconds) for rate in rates]
        follower.cancel()
        return rows
    finally:
        chain.stop_all()


def run_one(brokers: int, port: int, root: Path, args: argparse.Namespace, say) -> dict:
    cluster = Cluster(brokers, port, root / f"kafka-{brokers}")
    try:
        say(f"starting {brokers} broker(s)")
        cluster.start()
        say(f"{brokers} broker(s) up at {cluster.bootstrap}; relay")
        figures: dict = {"bootstrap": cluster.bootstrap}
        figures.update(relay_figures(cluster.bootstrap, args.events, root / f"relay-{brokers}"))
        say(f"{brokers} broker(s): worker")
        figures.update(worker_figures(cluster.bootstrap, args.patients, root / f"worker-{brokers}"))
        say(f"{brokers} broker(s): command -> board at {', '.join(f'{r:g}' for r in args.rates)} commands/s")
        figures["latency"] = asyncio.run(
            latency_figures(cluster.bootstrap, args.rates, args.seconds, root / f"chain-{brokers}")
        )
    finally:
        say(f"stopping {brokers} broker(s)")
        cluster.stop()
    return figures


def report(one: dict, three: dict, args: argparse.Namespace) -> None:
    table = Table(title="1 broker vs 3 brokers (replication 3, min ISR 2), same run")
    table.add_column("figure")
    table.add_column("1 broker", justify="right")
    table.add_column("3 brokers", justify="right")
    table.add_column("3 / 1", justify="right")
    rows: list = []
    for n, rate in enumerate(args.rates):
        rows += [
            (f"{rate:g} commands/s offered: held (API -> store)", lambda f, n=n: f["latency"][n]["held"], "{:.1f}"),
            ("  POST p50 / p99 ms", lambda f, n=n: f["latency"][n]["post"][:2], "{:.1f} / {:.1f}"),
            ("  command -> board p50 ms", lambda f, n=n: f["latency"][n]["board"][0], "{:.1f}"),
            ("  command -> board p99 ms", lambda f, n=n: f["latency"][n]["board"][1], "{:.1f}"),
            (
                "  board changes seen / not seen",
                lambda f, n=n: (f["latency"][n]["board"][2], f["latency"][n]["lost"]),
                "{} / {}",
            ),
        ]
    rows += [
        (f"relay store -> acked events/s ({args.events} events)", lambda f: f["relay"], "{:,.0f}"),
        ("  raw produce, same records, events/s", lambda f: f["produce"], "{:,.0f}"),
        ("worker drain to zero lag, events/s", lambda f: f["worker"], "{:,.0f}"),
        ("  seconds to zero lag", lambda f: f["drain"], "{:.1f}"),
        ("  raw consume+decode, events/s", lambda f: f["consume"], "{:,.0f}"),
    ]
    for name, pick, fmt in rows:
        a, b = pick(one), pick(three)
        if isinstance(a, tuple):
            table.add_row(name, fmt.format(*a), fmt.format(*b), "")
            continue
        table.add_row(name, fmt.format(a), fmt.format(b), f"{b / a:.2f}" if a else "")
    Console(width=120).print(table)
    print(f"worker backlog: {one['backlog']} records per cluster")
    print(f"clusters: {one['bootstrap']} and {three['bootstrap']}")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="events the relay publishes")
    parser.add_argument("--patients", type=int, default=60, help="patients of the worker's backlog (x4 facilities)")
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[10.0, 20.0],
        help="commands/s offered through the API, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds at each rate")
    parser.add_argument("--port-one", type=int, default=9300, help="client port of the one-node cluster")
    parser.add_argument("--port-three", type=int, default=9310, help="first client port of the three-node cluster")
    args = parser.parse_args()
    # Ctrl-C and a stop request unwind the same way, so every cluster is
    # stopped: with a handler of our own, asyncio.run does not turn Ctrl-C
    # into a cancellation that a client library's clean-up may swallow.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    # The worker's web port must not meet another worker's on this machine.
    os.environ["EDFLOW_WORKER_WEB_PORT"] = str(free_port())
    root = Path(tempfile.mkdtemp(prefix="edflow-bench-cluster-"))
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {text}", file=sys.stderr, flush=True)

    try:
        one = run_one(1, args.port_one, root, args, say)
        three = run_one(3, args.port_three, root, args, say)
    except KeyboardInterrupt:
        say("interrupted; clusters stopped")
        raise SystemExit(130) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(one, three, args)


if __name__ == "__main__":
    main()
