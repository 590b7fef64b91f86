"""FHIR search latency against the single-resource read it is built from.

Searches scan every aggregate of their kind at the facility, so their cost
grows with the store; this prints how much, all measured in this run:
  1. baseline: Encounter/{id} read (one aggregate loaded and built);
  2. Encounter?status=finished, Encounter?date=ge..., Location?operational-status=O.

    .venv/bin/python deploy/bench/bench_fhir_search.py [--visits 200] [--beds 40] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import track
from rich.table import Table

from base.auth import mint_token
from base.settings import Settings
from events.catalogue import Person
from events.envelope import Actor
from services.api.app import create_app
from services.fhir.router import router
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "bench"
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def meta(minute: int) -> Meta:
    return Meta(facility_id=FACILITY, occurred_at=T0 + timedelta(minutes=minute), actor=Actor(id="bench", role="admin"))


def fill(app: Hospital, visits: int, beds: int) -> str:
    for b in range(beds):
        app.register_bed(meta(0), f"B{b}", "ED")
    first = ""
    for v in track(range(visits), description="recording visits"):
        visit = app.arrive(meta(v), f"V{v}", Person(mrn=f"M{v}", given_name="Pat", family_name="Bench")).id
        first = first or visit
        app.triage(meta(v + 1), visit, 3)
        if v < beds:
            app.assign_bed(meta(v + 2), visit, f"B{v}")
        else:
            app.discharge(meta(v + 2), visit, "home")
    return first


def timed(client: TestClient, path: str, repeats: int) -> tuple[float, float]:
    took = []
    for _ in range(repeats):
        began = time.perf_counter()
        assert client.get(path).status_code == 200
        took.append((time.perf_counter() - began) * 1000)
    return statistics.median(took), max(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--beds", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), event_store="sqlite")
        app = Hospital(settings)
        first = fill(app, args.visits, args.beds)
        api = create_app(settings, app)
        api.include_router(router)
        client = TestClient(
            api, headers={"Authorization": f"Bearer {mint_token(settings, 'bench', 'provider', [FACILITY])}"}
        )
        base = f"/fhir/R4/{FACILITY}"
        rows = [("baseline: Encounter/{id}", f"{base}/Encounter/{first}"),
                ("Encounter?status=finished", f"{base}/Encounter?status=finished"),
                ("Encounter?date=ge2026-03-02", f"{base}/Encounter?date=ge2026-03-02"),
                ("Location?operational-status=O", f"{base}/Location?operational-status=O")]  # fmt: skip
        table = Table(title=f"FHIR reads, {args.visits} visits, {args.beds} beds, SQLite ({args.repeats} runs each)")
        for column in ("request", "median ms", "max ms", "x baseline"):
            table.add_column(column)
        baseline = None
        for name, path in rows:
            median, worst = timed(client, path, args.repeats)
            baseline = baseline or median
            table.add_row(name, f"{median:.1f}", f"{worst:.1f}", f"{median / baseline:.1f}")
        app.close()
    Console().print(table)


if __name__ == "__main__":
    main()
