"""Scrubbing the auditor's slider: the board at a random instant, answered
from the nearest snapshot of the fold (`projections.replay_index`) against a
full replay of the same events at the same instants, in the same run.

Records visits through `Hospital` into a fresh SQLite store (not timed), reads
them once, builds the snapshot index (timed once), then for `--instants`
random instants on each time axis times
  1. full replay (baseline): every event fed to a fresh `Replay`, then the
     board view at the instant;
  2. from the nearest snapshot: `ReplayIndex.replay`, then the same view;
and prints median, p95 and max milliseconds of each, checking every pair of
boards is equal. The store's reading is left out of both (the server keeps
the events it has read).

    .venv/bin/python deploy/bench/bench_scrub.py [--events 60000] [--instants 40] [--every 1000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.settings import Settings
from deploy.bench.bench_replay import EVENTS_PER_VISIT, FACILITY, record
from projections.profile import DEFAULT_PROFILE
from projections.replay import Replay, board_view, store_envelopes
from projections.replay_index import ReplayIndex
from services.hospital import Hospital


def view_of(replay: Replay, at) -> dict:
    facility, entries = replay.entries_of(FACILITY)
    return board_view(facility, entries, at, DEFAULT_PROFILE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=60_000, help="about how many events to record (default 60000)")
    parser.add_argument("--instants", type=int, default=40, help="instants per time axis (default 40)")
    parser.add_argument("--every", type=int, default=1000, help="events between snapshots (default 1000)")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        app = Hospital(Settings(data_dir=Path(tmp), event_store="sqlite"))
        try:
            with Progress(console=console, transient=True) as progress:
                recorded = record(app, args.events, progress)
            envelopes = list(store_envelopes(app))
        finally:
            app.close()
    console.print(f"recorded {recorded} events ({recorded // EVENTS_PER_VISIT} visits) in a fresh SQLite store")
    began = time.perf_counter()
    index = ReplayIndex(every=args.every)
    index.extend(envelopes)
    build = time.perf_counter() - began
    first, last = envelopes[0].recorded_at, envelopes[-1].recorded_at
    rng = random.Random(7)
    full_ms: list[float] = []
    fast_ms: list[float] = []
    for by in ("recorded", "occurred"):
        for _ in range(args.instants):
            at = first + timedelta(seconds=rng.uniform(0, (last - first).total_seconds() + 600))
            began = time.perf_counter()
            full = Replay(at=at, by=by)
            for envelope in envelopes:
                full.feed(envelope)
            expected = view_of(full, at)
            full_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            answer = view_of(index.replay(at, by), at)
            fast_ms.append((time.perf_counter() - began) * 1000)
            assert answer == expected, f"boards differ at {at} by {by}"
    table = Table(title=f"The board at {len(full_ms)} random instants over {len(envelopes)} events")
    for column in ("path", "median ms", "p95 ms", "max ms"):
        table.add_column(column, justify="right" if column != "path" else "left")
    for name, times in (("full replay (baseline)", full_ms), (f"nearest snapshot (every {args.every})", fast_ms)):
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        table.add_row(name, f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{max(times):.1f}")
    console.print(table)
    console.print(f"index built once in {build:.2f} s ({len(index.snapshots)} snapshots); every pair of boards equal")


if __name__ == "__main__":
    main()
