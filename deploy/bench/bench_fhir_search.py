"""FHIR search latency against the single-resource read it is built from.

Searches answer from the search index (services/fhir/index.py) and build only
the page they return, so their cost follows the page size rather than the
store. All measured in this run, on one SQLite store:
  1. baseline: Encounter/{id} read (one aggregate loaded and built);
  2. Encounter?status=, Encounter?date=, Appointment?date=, each at the
     default page size and with a small `_count`;
  3. the first search of the process, which folds the whole log into the index.

    .venv/bin/python deploy/bench/bench_fhir_search.py [--visits 10000] [--appointments 1000] [--repeats 200]
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
OTHER = "bench-other"  # a second facility the searches must not touch
T0 = datetime(2026, 3, 2, tzinfo=UTC)


def meta(minute: int, facility: str = FACILITY) -> Meta:
    return Meta(facility_id=facility, occurred_at=T0 + timedelta(minutes=minute), actor=Actor(id="bench", role="admin"))


def fill(app: Hospital, visits: int, beds: int, appointments: int) -> str:
    for b in range(beds):
        app.register_bed(meta(0), f"B{b}", "ED")
    first = ""
    for v in track(range(visits), description="recording visits"):
        facility = OTHER if v % 10 == 9 else FACILITY  # one visit in ten elsewhere
        visit = app.arrive(meta(v, facility), f"V{v}", Person(mrn=f"M{v}", given_name="Pat", family_name="Bench")).id
        first = first or visit
        app.triage(meta(v + 1, facility), visit, 3)
        if v < beds and facility == FACILITY:
            app.assign_bed(meta(v + 2), visit, f"B{v}")
        elif v % 3:
            app.discharge(meta(v + 2, facility), visit, "home")
    for a in track(range(appointments), description="booking appointments"):
        start = T0 + timedelta(days=a % 30, minutes=20 * (a // 30 % 20))
        patient = Person(mrn=f"A{a}", given_name="Appt", family_name="Bench")
        app.book(meta(a), patient, f"dr-{a // 600}", "clinic", "outpatient-visit", start, start + timedelta(minutes=20),
                 appointment_id=f"ap-{a}")  # fmt: skip
    return first


def timed(client: TestClient, path: str, repeats: int) -> list[float]:
    took = []
    for _ in range(repeats):
        began = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return took


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--beds", type=int, default=40)
    parser.add_argument("--appointments", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), event_store="sqlite")
        app = Hospital(settings)
        first = fill(app, args.visits, args.beds, args.appointments)
        api = create_app(settings, app)
        api.include_router(router)
        client = TestClient(
            api, headers={"Authorization": f"Bearer {mint_token(settings, 'bench', 'admin', [FACILITY])}"}
        )
        base = f"/fhir/R4/{FACILITY}"
        began = time.perf_counter()
        client.get(f"{base}/Encounter?identifier=V0")
        first_search = (time.perf_counter() - began) * 1000
        rows = [("baseline: Encounter/{id}", f"{base}/Encounter/{first}")]
        for name, query in (("Encounter?status=finished", "Encounter?status=finished"),
                            ("Encounter?date=ge2026-03-05", "Encounter?date=ge2026-03-05"),
                            ("Appointment?date=2026-03-10", "Appointment?date=2026-03-10")):  # fmt: skip
            rows.append((f"{name} (default page)", f"{base}/{query}"))
            rows.append((f"{name}&_count=10", f"{base}/{query}&_count=10"))
        title = (f"FHIR reads, {args.visits} visits ({args.visits // 10} at another facility), "
                 f"{args.appointments} appointments, SQLite ({args.repeats} runs each)")  # fmt: skip
        table = Table(title=title)
        for column in ("request", "results", "p50 ms", "p99 ms", "p50 x baseline"):
            table.add_column(column)
        baseline = None
        for name, path in rows:
            body = client.get(path).json()
            took = timed(client, path, args.repeats)
            median = statistics.median(took)
            baseline = baseline or median
            results = f"{len(body.get('entry', []))} of {body['total']}" if "total" in body else "1"
            table.add_row(name, results, f"{median:.1f}", f"{p99(took):.1f}", f"{median / baseline:.1f}")
        app.close()
    Console().print(table)
    print(f"first search of the process (folds the whole log into the index): {first_search:.0f} ms")


if __name__ == "__main__":
    main()
