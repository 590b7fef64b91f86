"""Patient-index latency against the single-record reads it is built from.

The index (services/patients/index.py) is a read model kept in memory and
caught up from the store's log before each read, so a search costs a scan of
the facility's records in memory plus two access-log writes, whatever the
size of the log. All measured in this run, on one SQLite store:
  1. baseline: GET …/encounters/{id} (one aggregate loaded, one audited read);
  2. GET …/patients?name=, ?mrn=, ?birth_date= and GET …/patients/{mrn};
  3. the first read of the process, which folds the whole log into the index.

    .venv/bin/python deploy/bench/bench_patient_index.py [--patients 10000] [--repeats 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
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
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "bench"
T0 = datetime(2026, 3, 2, tzinfo=UTC)
FAMILIES = ("Lopez", "Okafor", "Nguyen", "Smith", "Kowalski", "Haddad", "Brown", "Ito", "Silva", "Moreau")


def meta(minute: int) -> Meta:
    return Meta(facility_id=FACILITY, occurred_at=T0 + timedelta(minutes=minute), actor=Actor(id="b", role="admin"))


def fill(app: Hospital, patients: int) -> str:
    """A visit per patient, a second visit for one in five, a merge for one in fifty."""
    first = ""
    for p in track(range(patients), description="registering patients"):
        person = Person(mrn=f"M{p}", family_name=f"{FAMILIES[p % 10]}{p // 10}", given_name="Pat",
                        birth_date=date(1940 + p % 60, 1 + p % 12, 1 + p % 28))  # fmt: skip
        visit = app.arrive(meta(p), f"V{p}", person).id
        first = first or visit
        if p % 5 == 0:
            app.arrive(meta(p), f"W{p}", person)
        if p % 50 == 49:
            app.merge_patients(meta(p), f"M{p}", f"M{p - 1}", "duplicate")
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
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), event_store="sqlite")
        app = Hospital(settings)
        first = fill(app, args.patients)
        api = create_app(settings, app)
        token = mint_token(settings, "bench", "admin", [FACILITY])  # admin: reads visits and sees identity
        client = TestClient(api, headers={"Authorization": f"Bearer {token}"})
        base = f"/api/v1/facilities/{FACILITY}"
        began = time.perf_counter()
        client.get(f"{base}/patients?mrn=M0")
        first_read = (time.perf_counter() - began) * 1000
        middle = args.patients // 2
        rows = [
            ("baseline: GET encounters/{id}", f"{base}/encounters/{first}"),
            ("patients?mrn=", f"{base}/patients?mrn=M{middle}"),
            ("patients?name= (one family)", f"{base}/patients?name={FAMILIES[3]}{middle // 10}"),
            ("patients?name= (20 of many)", f"{base}/patients?name={FAMILIES[3][:2]}"),
            ("patients?birth_date=", f"{base}/patients?birth_date=1970-07-03"),
            ("patients/{mrn} (a merge survivor)", f"{base}/patients/M48"),
        ]
        table = Table(title=f"Patient index, {args.patients} patients, SQLite ({args.repeats} runs each)")
        for column in ("request", "results", "p50 ms", "p99 ms", "p50 x baseline"):
            table.add_column(column)
        baseline = None
        for name, path in rows:
            body = client.get(path).json()
            took = timed(client, path, args.repeats)
            median = statistics.median(took)
            baseline = baseline or median
            results = str(body["count"]) if "count" in body else "1"
            table.add_row(name, results, f"{median:.1f}", f"{p99(took):.1f}", f"{median / baseline:.1f}")
        app.close()
    Console().print(table)
    print(f"first read of the process (folds the whole log into the index): {first_read:.0f} ms")


if __name__ == "__main__":
    main()
