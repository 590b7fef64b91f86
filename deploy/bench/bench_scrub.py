"""Scrubbing the auditor's slider over a year of the demo hospital's history:
the answer of `GET /board/replay` at random instants, from the nearest
snapshot of the fold, against a full replay of the same events, in one run.

Records a year of ED visits into a fresh SQLite store (`year_store`, timed
and printed, not part of the figures), then
  1. the first answer (the server reads the store and builds its snapshots
     once, lazily): timed once;
  2. scrubbing: for `--instants` random instants on each time axis, the
     route's whole answer (`History.at`: the board view, its entities, the
     neighbouring events and marks) encoded as JSON, as the slider asks for it;
  3. full replay (baseline): for `--baseline` of those instants per axis,
     every event fed to a fresh `Replay` (already read and decoded: the
     store's reading is left out, in the baseline's favour), then the same
     board view; each is checked equal to the scrubbing answer's board.
Prints median, p95 and max milliseconds, and what the server's history holds in memory.

    .venv/bin/python deploy/bench/bench_scrub.py [--visits 60000] [--days 365] [--instants 100] [--baseline 4]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.settings import Settings
from deploy.bench.year_store import FACILITY, START, record_year
from deploy.replay_route import History
from projections.replay import Order, Replay, board_view, store_envelopes
from services.hospital import Hospital

VIEW = ("facility_id", "as_of", "last_event_at", "positions", "waiting", "beds", "capacity", "metrics", "schedule")


def figures(times: list[float]) -> tuple[str, str, str]:
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{max(times):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=60_000, help="ED visits to record (default 60000)")
    parser.add_argument("--days", type=float, default=365.0, help="over how many days (default 365)")
    parser.add_argument("--instants", type=int, default=100, help="scrubbed instants per time axis (default 100)")
    parser.add_argument("--baseline", type=int, default=4, help="of those, full replays per axis (default 4)")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), event_store="sqlite")
        app = Hospital(settings)
        try:
            began = time.perf_counter()
            with Progress(console=console, transient=True) as progress:
                last = record_year(app, args.visits, progress, days=args.days)
            console.print(f"recorded {args.visits} visits over {args.days:g} days: {last} events "
                          f"in {time.perf_counter() - began:.0f} s")  # fmt: skip
            run(console, settings, app, args)
        finally:
            app.close()


def resident_mb() -> float:
    """This process's resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(console: Console, settings: Settings, app: Hospital, args: argparse.Namespace) -> None:
    history = History(settings, app)
    before = resident_mb()
    began = time.perf_counter()
    history.at(FACILITY, START, "recorded")
    build, held = time.perf_counter() - began, resident_mb() - before
    envelopes = list(store_envelopes(app))
    first, last = envelopes[0].occurred_at, envelopes[-1].recorded_at
    rng = random.Random(7)
    scrub_ms: list[float] = []
    full_ms: list[float] = []
    answers: dict[tuple[Order, datetime], dict] = {}
    axes: tuple[Order, ...] = ("recorded", "occurred")
    for by in axes:
        for n in range(args.instants):
            at = first + timedelta(seconds=rng.uniform(0, (last - first).total_seconds()))
            began = time.perf_counter()
            body = json.dumps(history.at(FACILITY, at, by))
            scrub_ms.append((time.perf_counter() - began) * 1000)
            if n < args.baseline:
                answers[(by, at)] = json.loads(body)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("full replays (baseline)", total=len(answers))
        for (by, at), answer in answers.items():
            began = time.perf_counter()
            full = Replay(at=at, by=by, profile_for=history.profile_for)
            for envelope in envelopes:
                full.feed(envelope)
            facility, entries = full.entries_of(FACILITY)
            expected = board_view(facility, entries, at, history.profile_for(facility))
            full_ms.append((time.perf_counter() - began) * 1000)
            assert {k: answer[k] for k in VIEW} == json.loads(json.dumps(expected)), f"boards differ at {at} by {by}"
            progress.advance(task)
    table = Table(title=f"The auditor's board at random instants, {len(envelopes)} events over {args.days:g} days")
    for column in ("path", "instants", "median ms", "p95 ms", "max ms"):
        table.add_column(column, justify="left" if column == "path" else "right")
    table.add_row("scrubbing: the route's answer, nearest snapshot", str(len(scrub_ms)), *figures(scrub_ms))
    table.add_row("full replay (baseline, store read left out)", str(len(full_ms)), *figures(full_ms))
    console.print(table)
    console.print(f"first answer (reads the store, builds the snapshots) {build:.1f} s; "
                  f"{len(history.index.snapshots)} snapshots; the server's history holds ~{held:.0f} MB; "
                  f"every baseline board equal to the scrubbed one")  # fmt: skip


if __name__ == "__main__":
    main()
