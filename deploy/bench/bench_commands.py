"""Single-event command throughput: HTTP API vs the application vs raw SQLite.

Prints commands per second for
  1. raw SQLite: one INSERT + COMMIT per row into a plain table, with the
     settings eventsourcing's SQLite datastore uses (WAL journal, default
     synchronous, autocommit connection with explicit BEGIN) -- the baseline;
  2. the application: `Hospital.triage` on distinct encounters, one thread;
  3. the HTTP API: POST .../triage on distinct encounters through a real
     uvicorn server, keep-alive httpx clients, a few of them concurrent;
and the ratios between them, all measured in this run.

    .venv/bin/python deploy/bench/bench_commands.py [--commands 200] [--clients 4] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.auth import mint_token
from base.settings import Settings
from events.catalogue import Person
from events.envelope import Actor
from services.api.app import create_app
from services.hospital import Hospital
from services.recording import Meta
from tests.services.api.live_server import running_server

FACILITY = "bench"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def meta(minutes: int) -> Meta:
    return Meta(
        facility_id=FACILITY, occurred_at=START + timedelta(minutes=minutes), actor=Actor(id="bench", role="admin")
    )


def raw_sqlite_rate(path: Path, rows: int, progress: Progress) -> float:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL;")
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, originator_id BLOB, version INTEGER, state BLOB)")
    state = b'{"fact":{"type":"PatientTriaged","esi":3}}' * 4
    task = progress.add_task("raw SQLite commits", total=rows)
    began = time.perf_counter()
    for n in range(rows):
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO events (originator_id, version, state) VALUES (?, ?, ?)", (n.to_bytes(16, "big"), 1, state)
        )
        connection.execute("COMMIT")
        progress.advance(task)
    elapsed = time.perf_counter() - began
    connection.close()
    return rows / elapsed


def arrivals(hospital: Hospital, count: int, progress: Progress, label: str) -> list[str]:
    task = progress.add_task(f"setting up {label}", total=count)
    visits = []
    for n in range(count):
        visits.append(hospital.arrive(meta(0), f"{label}-{n}", Person(sex="U")).id)
        progress.advance(task)
    return visits


def application_rate(settings: Settings, count: int, progress: Progress) -> float:
    hospital = Hospital(settings)
    try:
        visits = arrivals(hospital, count, progress, "app")
        task = progress.add_task("application triage", total=count)
        began = time.perf_counter()
        for visit in visits:
            hospital.triage(meta(1), visit, 3)
            progress.advance(task)
        return count / (time.perf_counter() - began)
    finally:
        hospital.close()


def http_rate(settings: Settings, count: int, clients: int, progress: Progress) -> float:
    hospital = Hospital(settings)
    try:
        visits = arrivals(hospital, count, progress, "http")
        token = mint_token(settings, "bench", "admin", [FACILITY])
        shares = [visits[i::clients] for i in range(clients)]
        task = progress.add_task(f"HTTP triage ({clients} clients)", total=count)
        with running_server(create_app(settings, hospital)) as base:

            def run(share: list[str]) -> int:
                failures = 0
                with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                    for visit in share:
                        body = {"esi": 3, "occurred_at": (START + timedelta(minutes=1)).isoformat()}
                        response = client.post(f"/api/v1/facilities/{FACILITY}/encounters/{visit}/triage", json=body)
                        failures += response.status_code != 200
                        progress.advance(task)
                return failures

            began = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                failures = sum(pool.map(run, shares))
            elapsed = time.perf_counter() - began
        if failures:
            raise SystemExit(f"{failures} HTTP commands failed; the figure would be meaningless")
        return count / elapsed
    finally:
        hospital.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200, help="commands per measurement (default 200)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported (default 5)")
    args = parser.parse_args()
    console = Console()
    rates: dict[str, list[float]] = {"raw": [], "app": [], "http": []}
    # Rounds interleave the three paths so a noisy disk (shared machines)
    # weighs on each of them alike.
    with tempfile.TemporaryDirectory() as scratch, Progress(console=console, transient=True) as progress:
        for round_number in range(args.rounds):
            root = Path(scratch) / f"round-{round_number}"
            root.mkdir()
            rates["raw"].append(raw_sqlite_rate(root / "raw.sqlite", args.commands, progress))
            settings = Settings(data_dir=root / "app", jwt_secret="b" * 40)
            rates["app"].append(application_rate(settings, args.commands, progress))
            settings = Settings(data_dir=root / "http", jwt_secret="b" * 40)
            rates["http"].append(http_rate(settings, args.commands, args.clients, progress))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    table = Table(
        title=f"single-event commands/s, SQLite event store ({args.rounds} rounds x {args.commands} commands)"
    )
    for column in ("path", "median/s", "min-max/s", "vs raw SQLite commit"):
        table.add_column(column, justify="left" if column == "path" else "right")
    labels = {
        "raw": "raw SQLite INSERT+COMMIT (baseline)",
        "app": "application (Hospital.triage)",
        "http": f"HTTP API ({args.clients} keep-alive clients)",
    }
    for name, label in labels.items():
        low, high = min(rates[name]), max(rates[name])
        table.add_row(
            label, f"{medians[name]:,.0f}", f"{low:,.0f}-{high:,.0f}", f"{medians[name] / medians['raw']:.2f}x"
        )
    console.print(table)
    console.print(f"HTTP / application: {medians['http'] / medians['app']:.2f}x")


if __name__ == "__main__":
    main()
