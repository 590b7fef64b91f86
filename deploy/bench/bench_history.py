"""`edflow replay` over a long history: time and peak memory.

Generates a multi-year history of one ED (by default 1,000,000 events over
three years: arrive, triage, provider, bed, discharge, cleaning, visit after
visit) straight into a fresh SQLite store — the domain's own aggregates
decide every event, saved a few thousand to a transaction, without commands,
HTTP or idempotency receipts — then runs, each in a process of its own so
its peak RSS is its own:

  1. read + decode (baseline): the store's log paged and each event turned
     into its published envelope, nothing kept;
  2. `edflow replay --json`: the real command, with its progress bar (shown
     when this script runs on a terminal), folding everything up to now.

Prints both with seconds, events/s and peak RSS, and the replay's share of
the baseline.

    .venv/bin/python deploy/bench/bench_history.py [--events 1000000] [--years 3] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from base.settings import Settings  # noqa: E402

FACILITY = "hist"
BEDS = 40
EVENTS_PER_VISIT = 8  # arrive, triage, provider, bed (2), discharge (2), clean
VISITS_PER_SAVE = 500
START = datetime(2023, 1, 2, 6, 0, tzinfo=UTC)


def generate(settings: Settings, events: int, years: float, console: Console) -> int:
    """Writes the history; returns the store's last position."""
    from events.catalogue import BedRegistered, PatientArrived, Person
    from events.envelope import Actor
    from services.ed.application import bed_aggregate_id, encounter_id_for
    from services.ed.domainmodel import Bed, Encounter
    from services.hospital import Hospital
    from services.recording import Meta

    step = timedelta(minutes=years * 365.25 * 24 * 60 / events)
    actor = Actor(id="bench", role="admin")
    clock = [START]

    def meta() -> Meta:
        clock[0] += step
        return Meta(facility_id=FACILITY, occurred_at=clock[0], actor=actor)

    app = Hospital(settings)
    try:
        beds: list[Bed] = []
        with app.one_transaction():
            for n in range(BEDS):
                fact = BedRegistered(bed_id=f"B{n}", unit="acute", bed_type="acute", label=f"B{n}")
                beds.append(Bed.register(bed_aggregate_id(FACILITY, f"B{n}"), fact, meta()))
            app.save(*beds)
        visits = max(1, (events - BEDS) // EVENTS_PER_VISIT)
        columns = (TextColumn("generating visits"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("generate", total=visits)
            for first in range(0, visits, VISITS_PER_SAVE):
                # One transaction per batch, saved in decision order: the store reads as if commanded.
                with app.one_transaction():
                    for n in range(first, min(visits, first + VISITS_PER_SAVE)):
                        bed = beds[n % BEDS]
                        arrived = PatientArrived(visit_number=f"V{n}", patient=Person(age_years=20 + n % 70, sex="F"))
                        visit = Encounter.arrive(encounter_id_for(FACILITY, f"V{n}"), arrived, meta())
                        app.save(visit)
                        visit.triage(1 + n % 5, meta())
                        app.save(visit)
                        visit.assign_provider("ed-okafor", meta())
                        app.save(visit)
                        moved = meta()
                        visit.move_to_bed(bed.bed_id, bed.unit, moved)
                        bed.occupy(str(visit.id), moved)
                        app.save(visit, bed)
                        left = meta()
                        visit.discharge("admitted" if n % 4 == 0 else "home", None, left)
                        bed.release(str(visit.id), left)
                        app.save(visit, bed)
                        bed.finish_cleaning(meta())
                        app.save(bed)
                progress.update(task, completed=min(visits, first + VISITS_PER_SAVE))
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def reused(settings: Settings) -> int:
    from services.hospital import Hospital

    app = Hospital(settings)
    try:
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def read_and_decode(data_dir: str) -> None:
    """The baseline child: every published envelope read, nothing kept."""
    from projections.replay import store_envelopes
    from services.hospital import Hospital

    app = Hospital(Settings(data_dir=Path(data_dir), event_store="sqlite"))
    try:
        print(json.dumps({"events_read": sum(1 for _ in store_envelopes(app))}))
    finally:
        app.close()


def measured(command: list[str], env: dict[str, str], show_stderr: bool) -> tuple[float, int, dict]:
    """Runs a child to its end: seconds, peak RSS in bytes, its JSON output."""
    began = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=None if show_stderr else subprocess.DEVNULL
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:4])} exited with {child.returncode}")
    return seconds, usage.ru_maxrss * 1024, json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="about how many events (default 1000000)")
    parser.add_argument("--years", type=float, default=3.0, help="how many years they span (default 3)")
    parser.add_argument(
        "--store", type=Path, help="a directory for the store, reused when it holds one (default: a temporary one)"
    )
    parser.add_argument("--child", choices=["read"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "read":
        read_and_decode(str(args.store))
        return
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.store or Path(tmp)
        settings = Settings(data_dir=data_dir, event_store="sqlite")
        if settings.sqlite_path.exists():
            last = reused(settings)
            console.print(f"reusing the {last:,} events already in {settings.sqlite_path}")
        else:
            began = time.perf_counter()
            last = generate(settings, args.events, args.years, console)
            generated_s = time.perf_counter() - began
            size = settings.sqlite_path.stat().st_size / 2**20
            console.print(
                f"generated {last:,} events over {args.years:g} years in {generated_s:.0f} s "
                f"({last / generated_s:,.0f} events/s) into {size:,.0f} MiB of SQLite"
            )
        env = {**os.environ, "EDFLOW_DATA_DIR": str(data_dir), "EDFLOW_EVENT_STORE": "sqlite"}
        env.pop("EDFLOW_POSTGRES_DSN", None)
        script = [sys.executable, str(Path(__file__).resolve()), "--store", str(data_dir), "--child", "read"]
        read_s, read_rss, read_out = measured(script, env, show_stderr=False)
        replay = [sys.executable, "-m", "deploy.cli", "replay", "--json", "--facility", FACILITY]
        replay_s, replay_rss, view = measured(replay, env, show_stderr=True)
    table = Table(title=f"Replay of a {args.years:g}-year history ({last:,} events), each in its own process")
    for column in ("path", "events", "seconds", "events/s", "vs baseline", "peak RSS"):
        table.add_column(column, justify="left" if column == "path" else "right")
    base_rate = read_out["events_read"] / read_s
    for name, count, seconds, rss in (
        ("read + decode (baseline)", read_out["events_read"], read_s, read_rss),
        ("edflow replay --json", view["events_read"], replay_s, replay_rss),
    ):
        rate = count / seconds
        table.add_row(name, f"{count:,}", f"{seconds:.1f}", f"{rate:,.0f}", f"{rate / base_rate:.2f}x",
                      f"{rss / 2**20:,.0f} MiB")  # fmt: skip
    console.print(table)
    met = "met" if replay_rss <= 2**30 else "NOT met"
    console.print(
        f"replay peak RSS {replay_rss / 2**20:,.0f} MiB (target <= 1024 MiB: {met}); "
        f"events folded {view['events_folded']:,}; open visits at the end: {len(view['waiting'])} waiting"
    )


if __name__ == "__main__":
    main()
