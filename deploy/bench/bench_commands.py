"""Single-event commands and authorised reads: the application and the HTTP
API against the raw commit rate of the same store, on SQLite and PostgreSQL.

Prints, per store, in the same run:
  1. raw INSERT+COMMIT, one row per transaction (the baseline, `stores.py`);
  2. the application: `Hospital.triage` on distinct encounters, from one
     thread and from `--threads` threads at once (group commit shares
     transactions between concurrent commands);
  3. the HTTP API: POST .../triage through a real uvicorn server with
     `--clients` concurrent keep-alive clients (in a process of their own);
  4. latency with one client (in a process of its own): POST .../triage p50
     and an authorised GET .../encounters/{id} p50 (each GET writes its
     access-log record).

    .venv/bin/python deploy/bench/bench_commands.py [--commands 300] [--clients 16] [--rounds 3]
        [--store sqlite|postgres|both] [--postgres-dsn DSN (default EDFLOW_TEST_POSTGRES_DSN)]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.auth import mint_token
from base.settings import Settings
from deploy.bench.stores import add_store_arguments, chosen_stores, raw_commit_rate, scratch_settings
from events.catalogue import Person
from events.envelope import Actor
from services.api.app import create_app
from services.hospital import Hospital
from services.recording import Meta
from tests.services.api.live_server import running_server

FACILITY = "bench"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BODY = {"esi": 3, "occurred_at": (START + timedelta(minutes=1)).isoformat()}


def meta(minutes: int) -> Meta:
    return Meta(
        facility_id=FACILITY, occurred_at=START + timedelta(minutes=minutes), actor=Actor(id="bench", role="admin")
    )


def arrivals(hospital: Hospital, count: int, label: str) -> list[str]:
    return [hospital.arrive(meta(0), f"{label}-{n}", Person(sex="U")).id for n in range(count)]


def concurrently(work: list[str], workers: int, each: Callable[[list[str]], None]) -> float:
    """Seconds to run `each` on `workers` interleaved shares of `work` at once."""
    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(each, [work[i::workers] for i in range(workers)]))
    return time.perf_counter() - began


def application_rates(settings: Settings, count: int, threads: int) -> tuple[float, float]:
    hospital = Hospital(settings)
    try:
        alone, together = arrivals(hospital, count, "one"), arrivals(hospital, count, "many")
        began = time.perf_counter()
        for visit in alone:
            hospital.triage(meta(1), visit, 3)
        one = count / (time.perf_counter() - began)

        def triage(share: list[str]) -> None:
            for visit in share:
                hospital.triage(meta(1), visit, 3)

        return one, count / concurrently(together, threads, triage)
    finally:
        hospital.close()


def http_figures(settings: Settings, count: int, clients: int) -> tuple[float, float, float]:
    """(POSTs/s with `clients` clients, POST p50 ms and GET p50 ms with one client)."""
    hospital = Hospital(settings)
    try:
        burst, single = arrivals(hospital, count, "burst"), arrivals(hospital, count, "single")
        token = mint_token(settings, "bench", "admin", [FACILITY])
        with running_server(create_app(settings, hospital)) as base:
            burst_run = subprocess.run(
                [sys.executable, str(Path(__file__).with_name("http_burst.py")), base, token, FACILITY, str(clients)],
                input=json.dumps(burst),
                capture_output=True,
                text=True,
            )
            if burst_run.returncode != 0:
                raise SystemExit(f"the HTTP burst failed: {burst_run.stderr[-2000:]}")
            rate = count / float(burst_run.stdout)
            one_client = subprocess.run(
                [sys.executable, str(Path(__file__).with_name("http_latency.py")), base, token, FACILITY],
                input=json.dumps(single),
                capture_output=True,
                text=True,
            )
            if one_client.returncode != 0:
                raise SystemExit(f"the one-client run failed: {one_client.stderr[-2000:]}")
            latency = json.loads(one_client.stdout)
        return rate, latency["post"], latency["get"]
    finally:
        hospital.close()


def measure(store: str, args: argparse.Namespace, scratch: Path, progress: Progress) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {k: [] for k in ("raw", "app1", "appN", "http", "post", "get")}
    task = progress.add_task(f"{store}: rounds", total=args.rounds)
    for round_number in range(args.rounds):
        # Rounds interleave the paths, so a noisy disk weighs on each alike.
        root = scratch / f"{store}-{round_number}"
        with scratch_settings(store, root / "raw", args.postgres_dsn) as settings:
            figures["raw"].append(raw_commit_rate(settings, args.commands))
        with scratch_settings(store, root / "app", args.postgres_dsn) as settings:
            one, many = application_rates(settings, args.commands, args.clients)
            figures["app1"].append(one)
            figures["appN"].append(many)
        with scratch_settings(store, root / "http", args.postgres_dsn) as settings:
            rate, post, get = http_figures(settings, args.commands, args.clients)
            figures["http"].append(rate)
            figures["post"].append(post)
            figures["get"].append(get)
        progress.advance(task)
    return figures


def table(store: str, figures: dict[str, list[float]], args: argparse.Namespace) -> Table:
    out = Table(title=f"{store}: single-event commands ({args.rounds} rounds x {args.commands}; medians)")
    for column in ("path", "median", "min-max", "vs raw commit"):
        out.add_column(column, justify="left" if column == "path" else "right")
    raw = statistics.median(figures["raw"])
    rows = {
        "raw": ("raw INSERT+COMMIT (baseline)", "/s"),
        "app1": ("application, 1 thread", "/s"),
        "appN": (f"application, {args.clients} threads", "/s"),
        "http": (f"HTTP POST, {args.clients} keep-alive clients", "/s"),
        "post": ("HTTP POST p50, 1 client", " ms"),
        "get": ("authorised GET p50, 1 client", " ms"),
    }
    for name, (label, unit) in rows.items():
        values = figures[name]
        median = statistics.median(values)
        ratio = f"{median / raw:.2f}x" if unit == "/s" else ""
        fmt = "{:,.0f}" if unit == "/s" else "{:.2f}"
        spread = f"{fmt.format(min(values))}-{fmt.format(max(values))}"
        out.add_row(label, fmt.format(median) + unit, spread, ratio)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=300, help="commands per measurement (default 300)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients and threads (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported (default 3)")
    add_store_arguments(parser)
    args = parser.parse_args()
    stores = chosen_stores(args)
    console = Console()
    results = {}
    with tempfile.TemporaryDirectory() as scratch, Progress(console=console, transient=True) as progress:
        for store in stores:
            results[store] = measure(store, args, Path(scratch), progress)
    for store, figures in results.items():
        console.print(table(store, figures, args))


if __name__ == "__main__":
    main()
