"""Replay throughput against the raw read-and-decode rate of the same events.

Records an ED's worth of visits through `Hospital` into a fresh SQLite store
(not timed), then prints events per second for
  1. read + decode (baseline): the store's log paged with
     `select_notifications`, each event mapped, turned into its Envelope by
     `to_envelope`, and put through the codec (encode + decode);
  2. replay from the store: the same read, folded by `projections.replay.Replay`;
  3. fold only: the already-decoded envelopes folded in memory, as replay
     folds them (no board deltas built);
  4. fold with board deltas: the same envelopes through the step the live
     worker runs (its keys read, every board delta built; no Kafka, no table);
and each one's share of the baseline rate, all measured in this run.

    .venv/bin/python deploy/bench/bench_replay.py [--events 50000]
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

from base.settings import Settings
from base.store_log import to_envelope
from events.catalogue import Person
from events.envelope import Actor, decode, encode
from projections import fold
from projections.entries import FacilitySummary
from projections.guarded import apply_changes
from projections.replay import Replay, store_envelopes
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "bench"
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
BEDS = 40
# Per visit: arrive, triage, provider, bed (2), discharge (2), clean = 8 events.
EVENTS_PER_VISIT = 8


def record(app: Hospital, events: int, progress: Progress) -> int:
    minute = [0.0]

    def meta() -> Meta:
        minute[0] += 0.4
        return Meta(
            facility_id=FACILITY,
            occurred_at=START + timedelta(minutes=minute[0]),
            actor=Actor(id="bench", role="admin"),
        )

    beds = [f"B{n}" for n in range(BEDS)]
    for bed in beds:
        app.register_bed(meta(), bed, "acute")
    visits = max(1, (events - BEDS) // EVENTS_PER_VISIT)
    task = progress.add_task("recording visits", total=visits)
    for n in range(visits):
        bed = beds[n % BEDS]
        visit = app.arrive(meta(), f"V{n}", Person(age_years=20 + n % 70, sex="F")).id
        app.triage(meta(), visit, 1 + n % 5)
        app.assign_provider(meta(), visit, "ed-okafor")
        app.assign_bed(meta(), visit, bed)
        app.discharge(meta(), visit, "admitted" if n % 4 == 0 else "home")
        app.finish_cleaning(meta(), bed)
        progress.advance(task)
    return app.recorder.max_notification_id() or 0


def read_and_decode(app: Hospital) -> int:
    count, start = 0, 1
    while notifications := app.recorder.select_notifications(start, 1000):
        for notification in notifications:
            envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
            if envelope is not None:
                decode(encode(envelope))
                count += 1
        start = notifications[-1].id + 1
    return count


def timed(work) -> tuple[int, float]:
    began = time.perf_counter()
    count = work()
    return count, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000, help="about how many events to record (default 50000)")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        app = Hospital(Settings(data_dir=Path(tmp), event_store="sqlite"))
        try:
            with Progress(console=console, transient=True) as progress:
                recorded = record(app, args.events, progress)
            console.print(f"recorded {recorded} events ({recorded // EVENTS_PER_VISIT} visits) in a fresh SQLite store")

            baseline, baseline_s = timed(lambda: read_and_decode(app))
            replay = Replay()

            def replay_store() -> int:
                for envelope in store_envelopes(app):
                    replay.feed(envelope)
                return replay.read

            replayed, replay_s = timed(replay_store)
            envelopes = list(store_envelopes(app))
            fold_only = Replay()

            def fold_in_memory() -> int:
                for envelope in envelopes:
                    fold_only.feed(envelope)
                return len(envelopes)

            folded, fold_s = timed(fold_in_memory)
            live_table: dict = {}

            def fold_publishing() -> int:
                for envelope in envelopes:
                    result = fold.step({k: live_table.get(k) for k in fold.keys_for(envelope)}, envelope)
                    apply_changes(live_table, result.changes)
                return len(envelopes)

            published, publish_s = timed(fold_publishing)
        finally:
            app.close()
    table = Table(title=f"Replay of {baseline} events")
    for column in ("path", "events", "seconds", "events/s", "vs baseline"):
        table.add_column(column, justify="right" if column != "path" else "left")
    base_rate = baseline / baseline_s
    for name, count, seconds in (
        ("read + decode (baseline)", baseline, baseline_s),
        ("replay from the store", replayed, replay_s),
        ("fold only (decoded envelopes)", folded, fold_s),
        ("fold with board deltas (live step)", published, publish_s),
    ):
        rate = count / seconds
        table.add_row(name, str(count), f"{seconds:.2f}", f"{rate:,.0f}", f"{rate / base_rate:.2f}x")
    console.print(table)
    summary = replay.table[f"{FACILITY}|facility"]
    census = summary.census if isinstance(summary, FacilitySummary) else None
    console.print(
        f"check: replay, fold-only and live-step tables equal: {replay.table == fold_only.table == live_table}; "
        f"open visits at the end: {census}"
    )


if __name__ == "__main__":
    main()
