"""What authentication, the hash chain and encryption at rest cost.

Measured in one run, interleaved over rounds (medians reported):
  * commands/s through the application: hash chain on vs off, cipher on vs off;
  * commands/s through the HTTP API: token verification and role checks on
    vs off (off = the auth dependency overridden with a fixed caller), each
    with the hash chain on and off — "both on" vs "both off" is the headline;
  * replay events/s from the store: plain vs encrypted, and `audit verify`
    (walking the hash chain) events/s beside them.

    .venv/bin/python deploy/bench/bench_security.py [--commands 200] [--events 8000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypedDict, Unpack

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from eventsourcing.cryptography import AESCipher
from fastapi import FastAPI
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from base.auth import Principal
from base.settings import Settings
from deploy.bench import bench_commands
from deploy.bench.bench_replay import record
from events.work_queue import WorkQueueSource
from projections.replay import Replay, store_envelopes
from services.api.deps import authorized
from services.audit.verify import verify
from services.hospital import Hospital

CIPHER_KEY = AESCipher.create_key(32)


def http_rate(settings: Settings, count: int, clients: int, progress: Progress, auth: bool) -> float:
    """bench_commands' HTTP path, optionally with the auth dependency bypassed."""
    original = bench_commands.create_app

    def create_app(
        settings: Settings,
        hospital: Hospital | None = None,
        work_queue: Callable[[Hospital], WorkQueueSource] | None = None,
    ) -> FastAPI:
        app = original(settings, hospital, work_queue)
        if not auth:
            caller = Principal(subject="bench", role="admin", facilities=(bench_commands.FACILITY,))
            app.dependency_overrides[authorized] = lambda: caller
        return app

    bench_commands.create_app = create_app
    try:
        return bench_commands.http_figures(settings, count, clients)[0]
    finally:
        bench_commands.create_app = original


class StoreOptions(TypedDict, total=False):
    hash_chain: bool
    cipher_key: str


def scratch_settings(root: Path, name: str, **options: Unpack[StoreOptions]) -> Settings:
    """A fresh store of its own under `root`, with the given store options."""
    return Settings(data_dir=root / name, jwt_secret="s" * 40, **options)


def replay_rates(settings: Settings, events: int, progress: Progress) -> tuple[float, float]:
    app = Hospital(settings)
    try:
        record(app, events, progress)
        began = time.perf_counter()
        replay = Replay()
        for envelope in store_envelopes(app):
            replay.feed(envelope)
        replay_rate = replay.read / (time.perf_counter() - began)
        began = time.perf_counter()
        report = verify(app)
        verify_rate = report.checked / (time.perf_counter() - began)
        return replay_rate, verify_rate
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--events", type=int, default=8000, help="events recorded for the replay measurements")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    console = Console()
    rates: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rates.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as scratch, Progress(console=console, transient=True) as progress:
        for n in range(args.rounds):
            settings = partial(scratch_settings, Path(scratch) / f"r{n}")

            add("app: chain on", bench_commands.application_rates(settings("a1"), args.commands, 1)[0])
            add(
                "app: chain off",
                bench_commands.application_rates(settings("a2", hash_chain=False), args.commands, 1)[0],
            )
            add(
                "app: chain on + cipher",
                bench_commands.application_rates(settings("a3", cipher_key=CIPHER_KEY), args.commands, 1)[0],
            )
            add(
                "HTTP: auth on, chain on (both on)",
                http_rate(settings("h1"), args.commands, args.clients, progress, True),
            )
            add("HTTP: auth off, chain on", http_rate(settings("h2"), args.commands, args.clients, progress, False))
            add(
                "HTTP: auth on, chain off",
                http_rate(settings("h3", hash_chain=False), args.commands, args.clients, progress, True),
            )
            add(
                "HTTP: auth off, chain off (both off)",
                http_rate(settings("h4", hash_chain=False), args.commands, args.clients, progress, False),
            )
            replay_plain, verify_plain = replay_rates(settings("r1"), args.events, progress)
            replay_cipher, _ = replay_rates(settings("r2", cipher_key=CIPHER_KEY), args.events, progress)
            add("replay: plain store (events/s)", replay_plain)
            add("replay: encrypted store (events/s)", replay_cipher)
            add("audit verify: chain walk (events/s)", verify_plain)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    table = Table(title=f"security overhead, SQLite store ({args.rounds} rounds; medians)")
    for column in ("measurement", "median/s", "min-max/s"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for name, values in rates.items():
        table.add_row(name, f"{medians[name]:,.0f}", f"{min(values):,.0f}-{max(values):,.0f}")
    console.print(table)

    def ratio(a: str, b: str) -> str:
        return f"{medians[a] / medians[b]:.2f}x"

    console.print(f"application, chain on / off: {ratio('app: chain on', 'app: chain off')}")
    console.print(
        "HTTP, both on / both off: "
        f"{ratio('HTTP: auth on, chain on (both on)', 'HTTP: auth off, chain off (both off)')}"
    )
    console.print(
        f"replay, encrypted / plain: {ratio('replay: encrypted store (events/s)', 'replay: plain store (events/s)')}"
    )


if __name__ == "__main__":
    main()
