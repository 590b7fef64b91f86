"""Booking throughput with conflict checking, and availability-query latency,
against provider calendars of realistic size.

Builds 50 providers x 90 days of weekday clinics (09:00-17:00, 30-minute
slots: ~64 working days, 1,000+ slots per provider) and books a share of the
slots (--fill). Then prints, all measured in this run:
  1. baseline: raw SQLite INSERT + COMMIT per row (WAL, as eventsourcing uses it);
  2. bookings/s while filling the calendars (each checks schedule, blocks and
     the provider's day for overlaps, then saves appointment + day atomically);
  3. bookings/s into free slots of the full calendars;
  4. refused double bookings/s (conflict found, nothing recorded);
  5. availability query latency p50/p99 for one day and for one week.

    .venv/bin/python deploy/bench/bench_booking.py [--providers 50] [--days 90] [--fill 0.15] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.settings import Settings
from events.catalogue import Person
from events.envelope import Actor
from services.errors import SlotAlreadyBooked
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "bench"
FIRST_DAY = date(2026, 3, 2)
SLOT = timedelta(minutes=30)
PATIENT = Person(given_name="Pat", family_name="Bench", sex="U")


def meta() -> Meta:
    return Meta(
        facility_id=FACILITY,
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        actor=Actor(id="bench", role="scheduler"),
    )


def all_slots(providers: int, days: int) -> list[tuple[str, datetime]]:
    slots: list[tuple[str, datetime]] = []
    for p in range(providers):
        for d in range(days):
            day = FIRST_DAY + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            begin = datetime.combine(day, clock_time(9), tzinfo=UTC)
            slots.extend((f"dr-{p}", begin + n * SLOT) for n in range(16))
    return slots


def raw_sqlite_rate(path: Path, rows: int) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL;")
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, originator_id BLOB, version INTEGER, state BLOB)")
    state = b'{"fact":{"type":"AppointmentBooked"}}' * 8
    began = time.perf_counter()
    for n in range(rows):
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO events (originator_id, version, state) VALUES (?, ?, ?)", (n.to_bytes(16, "big"), 1, state)
        )
        connection.execute("COMMIT")
    rate = rows / (time.perf_counter() - began)
    connection.close()
    return rate


def book(app: Hospital, provider: str, start: datetime, n: int) -> None:
    app.book(meta(), PATIENT, provider, "clinic", "outpatient-visit", start, start + SLOT, appointment_id=f"b{n}")


def timed_bookings(app, slots, progress, label, first_id) -> float:
    task = progress.add_task(label, total=len(slots))
    began = time.perf_counter()
    for n, (provider, start) in enumerate(slots):
        book(app, provider, start, first_id + n)
        progress.advance(task)
    return len(slots) / (time.perf_counter() - began)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--fill", type=float, default=0.15, help="share of slots booked before measuring (0-0.9)")
    parser.add_argument("--measure", type=int, default=300, help="bookings and refusals measured on the full calendars")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        baseline = raw_sqlite_rate(tmp_path / "raw.sqlite", 2000)
        app = Hospital(Settings(data_dir=tmp_path / "store", event_store="sqlite"))
        week = [(d, clock_time(9), clock_time(17)) for d in range(5)]
        for p in range(args.providers):
            app.define_schedule(meta(), "provider", f"dr-{p}", "clinic", "UTC", week, {"outpatient-visit": 30})
        slots = all_slots(args.providers, args.days)
        rng.shuffle(slots)
        filled = int(len(slots) * min(max(args.fill, 0.0), 0.9))
        to_fill, free = slots[:filled], slots[filled:]
        with Progress(console=console, transient=True) as progress:
            fill_rate = timed_bookings(app, to_fill, progress, "filling calendars", 0)
            full_rate = timed_bookings(app, free[: args.measure], progress, "booking free slots", filled)
            clashes = rng.sample(to_fill, min(args.measure, len(to_fill)))
            task = progress.add_task("refused double bookings", total=len(clashes))
            began = time.perf_counter()
            for n, (provider, start) in enumerate(clashes):
                try:
                    book(app, provider, start, 10_000_000 + n)
                    raise SystemExit("a double booking was accepted")
                except SlotAlreadyBooked:
                    progress.advance(task)
            refuse_rate = len(clashes) / (time.perf_counter() - began)
            latencies: dict[str, list[float]] = {"1 day": [], "7 days": []}
            task = progress.add_task("availability queries", total=2 * args.queries)
            for span, key in ((0, "1 day"), (6, "7 days")):
                for _ in range(args.queries):
                    day = FIRST_DAY + timedelta(days=rng.randrange(args.days - span))
                    began = time.perf_counter()
                    app.availability(
                        FACILITY,
                        "provider",
                        f"dr-{rng.randrange(args.providers)}",
                        day,
                        day + timedelta(days=span),
                        "outpatient-visit",
                    )
                    latencies[key].append((time.perf_counter() - began) * 1000)
                    progress.advance(task)
        app.close()
    table = Table(
        title=f"booking: {args.providers} providers x {args.days} days, {len(slots):,} slots, {filled:,} booked first"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("vs raw SQLite commits", justify="right")
    table.add_row("raw SQLite INSERT+COMMIT /s (baseline)", f"{baseline:,.0f}", "1.00")
    for label, rate in (
        ("bookings/s while filling", fill_rate),
        ("bookings/s into the full calendars", full_rate),
        ("refused double bookings/s", refuse_rate),
    ):
        table.add_row(label, f"{rate:,.0f}", f"{rate / baseline:.3f}")
    for key, values in latencies.items():
        table.add_row(
            f"availability {key}: p50 / p99 ms", f"{statistics.median(values):.2f} / {percentile(values, 0.99):.2f}", ""
        )
    console.print(table)


if __name__ == "__main__":
    main()
