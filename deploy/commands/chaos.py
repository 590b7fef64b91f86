"""`edflow chaos`: the fault harness (see `deploy.chaos`)."""

from __future__ import annotations

import argparse
import os
import signal

from deploy.cli import CommandError

KINDS = ("broker", "relay", "worker", "board-server", "api-server", "broker-pause")


def count(text: str) -> tuple[str, int]:
    kind, _, number = text.partition("=")
    if kind not in KINDS or not number.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: write KIND=N with KIND one of {', '.join(KINDS)}")
    return kind, int(number)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "chaos",
        help="run a whole site on this machine and break it: faults in turn, then checks",
        description=(
            "Start a site of edflow's own on this machine's loopback addresses: a three-broker Kafka cluster "
            "(deploy/kafka.sh), a fresh event store, two relays, two projection workers and two servers, with a "
            "simulated department sending commands to one server and a board client on the other. Then kill "
            "(SIGKILL) and restart, in turn: a broker (x3), the publishing relay (x3), a worker (x5), the board "
            "server, the API server, and pause a broker past its session timeout. At the end check that every "
            "acknowledged command is in the store and on the topics exactly once, that every live board equals "
            "a replay of the store and that every board gap was healed by a snapshot, and print a table with "
            "each fault's recovery time and command error rate. Exit 0 only if every check passes. Everything "
            "started is stopped and removed at the end, also on Ctrl-C."
        ),
    )
    parser.add_argument("--short", action="store_true", help="one fault of each kind, shorter pauses (about 3 min)")
    parser.add_argument(
        "--count", type=count, action="append", default=[], metavar="KIND=N",
        help=f"faults of one kind ({', '.join(KINDS)}); repeatable, overrides the defaults",
    )  # fmt: skip
    parser.add_argument("--down", type=float, help="seconds a killed process stays down (default 3, --short 2)")
    parser.add_argument("--settle", type=float, help="seconds between faults (default 10, --short 8)")
    parser.add_argument(
        "--speed", type=float, default=240.0,
        help="simulated seconds per real second (default 240: about two commands a second)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="simulator seed (default 1)")
    parser.add_argument(
        "--kafka-port", type=int, default=0,
        help="first of the six loopback ports for the cluster (default: a free block)",
    )  # fmt: skip
    parser.add_argument(
        "--store", choices=("postgres", "sqlite"),
        help="event store: a scratch database on EDFLOW_POSTGRES_DSN's server (default when set), or SQLite",
    )  # fmt: skip
    parser.add_argument("--max-minutes", type=float, default=20.0, help="stop injecting faults after this (default 20)")
    parser.add_argument("--keep", metavar="DIR", help="run under DIR and keep the logs there (default: a temp dir)")
    parser.set_defaults(func=run)


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.console import Console

    from deploy.chaos.cluster import ClusterError
    from deploy.chaos.faults import FULL_COUNTS
    from deploy.chaos.harness import Options
    from deploy.chaos.harness import run as run_harness
    from deploy.chaos.site import SiteError

    counts = dict.fromkeys(FULL_COUNTS, 1) if args.short else dict(FULL_COUNTS)
    counts.update(dict(args.count))
    dsn = os.environ.get("EDFLOW_POSTGRES_DSN", "")
    store = args.store or ("postgres" if dsn else "sqlite")
    if store == "postgres" and not dsn:
        raise CommandError("--store postgres needs EDFLOW_POSTGRES_DSN (a server where it may create a database)")
    if args.kafka_port and not 1024 <= args.kafka_port <= 65_000:
        raise CommandError("--kafka-port must be between 1024 and 65000")
    console = Console()
    if not console.is_terminal:  # a log or a pipe: wide enough for the tables
        console = Console(width=150)
    options = Options(
        counts=counts,
        down=args.down if args.down is not None else (2.0 if args.short else 3.0),
        settle=args.settle if args.settle is not None else (8.0 if args.short else 10.0),
        warmup=8.0 if args.short else 15.0,
        speed=args.speed, seed=args.seed, kafka_port=args.kafka_port,
        postgres_dsn=dsn if store == "postgres" else "",
        max_seconds=args.max_minutes * 60, console=console, keep=Path(args.keep).resolve() if args.keep else None,
    )  # fmt: skip
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return 0 if run_harness(options) else 1
    except (ClusterError, SiteError) as error:
        raise CommandError(str(error)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
