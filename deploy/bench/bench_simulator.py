"""Simulated ED days through the HTTP API, unpaced (edflow simulate --speed 0).

Prints, for the demo hospital on a fresh SQLite store behind a real uvicorn
server:
  1. baseline: HTTP round trips per second for a read (GET one bed), the
     cost of the transport alone, one client, measured in this run;
  2. the simulator: wall time per simulated day, commands per second, and
     the highest speed-up (simulated seconds per real second) this machine
     sustains, i.e. the ceiling for `edflow simulate --speed`.

    .venv/bin/python deploy/bench/bench_simulator.py [--days 1] [--reads 500] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.auth import mint_token
from base.facility import load_facility
from base.settings import Settings
from deploy.commands.facility import load_beds
from deploy.simulator.client import CommandClient
from deploy.simulator.department import SimulationPlan, Simulator
from services.api.app import create_app
from services.hospital import Hospital
from tests.services.api.live_server import running_server

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "facilities" / "demo.toml"
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ROLES = ("intake", "charge-nurse", "provider", "scheduler")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=1.0, help="simulated days (default 1)")
    parser.add_argument("--reads", type=int, default=500, help="GETs for the transport baseline (default 500)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    console = Console()
    facility = load_facility(DEMO)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), event_store="sqlite")
        hospital = Hospital(settings)
        load_beds(hospital, facility, progress=False)
        tokens = {role: mint_token(settings, f"simulator-{role}", role, [facility.id]) for role in ROLES}
        with running_server(create_app(settings, hospital)) as url:
            client = CommandClient(url, facility.id, tokens)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("baseline: GET /beds/R1", total=args.reads)
                began = time.perf_counter()
                for _ in range(args.reads):
                    client.get("charge-nurse", "/beds/R1")
                    progress.advance(task)
                read_rate = args.reads / (time.perf_counter() - began)

                progress.add_task(f"simulating {args.days:g} day(s) unpaced", total=None)
                span = timedelta(days=args.days)
                plan = SimulationPlan(facility, START, span, speed=0, seed=args.seed, status_every=1e9)
                simulator = Simulator(plan, client, out=lambda line: None)
                began = time.perf_counter()
                tally = simulator.run()
                wall = time.perf_counter() - began
            client.close()
        hospital.close()

    counts = client.counts
    table = Table(title="simulator through the HTTP API (SQLite store, one client)")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_row("baseline: HTTP reads per second (GET one bed)", f"{read_rate:,.0f}")
    table.add_row("simulated days", f"{args.days:g}")
    table.add_row("arrivals", f"{tally.arrivals:,}")
    table.add_row("commands sent (409s included)", f"{counts.sent:,}")
    table.add_row("conflicts / unexpected replies", f"{counts.conflicts} / {counts.unexpected_total}")
    table.add_row("wall time per simulated day, s", f"{wall / args.days:,.1f}")
    table.add_row("commands per second", f"{counts.sent / wall:,.0f}")
    table.add_row("commands per second / baseline reads per second", f"{counts.sent / wall / read_rate:.2f}")
    table.add_row("highest sustainable --speed", f"{span.total_seconds() / wall:,.0f}x")
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
