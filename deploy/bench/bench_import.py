"""Bulk HL7 import (`edflow hl7 import`): messages applied per second from
one batch file, on SQLite and PostgreSQL, against the raw parse rate of the
same messages and the store's raw commit rate, measured in the same run.

    .venv/bin/python deploy/bench/bench_import.py [--messages 1000] [--store sqlite|postgres|both]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress

from base.facility import load_facility
from deploy.bench.bench_mllp import messages, parse_rate
from deploy.bench.stores import add_store_arguments, chosen_stores, raw_commit_rate, scratch_settings
from services.hl7.bulk import apply, entries
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from services.hospital import Hospital

console = Console(width=140)


def batch_file(path: Path, count: int, tag: str) -> Path:
    """One BHS ... BTS batch of distinct A04 registrations, as an interface engine writes it."""
    body = b"".join(message.rstrip(b"\r") + b"\r" for message in messages(count, tag))
    path.write_bytes(b"BHS|^~\\&|ENGINE|HNA500\r" + body + f"BTS|{count}\r".encode())
    return path


def run_store(store: str, args: argparse.Namespace, scratch: Path) -> None:
    with scratch_settings(store, scratch / f"{store}-raw", args.postgres_dsn) as settings:
        raw_commit = raw_commit_rate(settings, args.messages)
    baseline = parse_rate(messages(args.messages, "PARSE"))
    with scratch_settings(store, scratch / store, args.postgres_dsn) as settings:
        app = Hospital(settings)
        try:
            intake = Intake(app, FeedOptions(senders=tuple(load_facility(settings.facility_config).hl7_senders)))
            path = batch_file(scratch / f"{store}.hl7", args.messages, "IMP")
            codes: Counter[str] = Counter()
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"{store}: import", total=args.messages)
                started = time.perf_counter()
                files = [(str(path), entries(path.read_bytes()))]
                for result in apply(intake, files):
                    codes[result.code] += 1
                    progress.advance(task)
                rate = args.messages / (time.perf_counter() - started)
        finally:
            app.close()
    console.print(f"bulk import, {args.messages} A04 messages in one batch file, {store} store ({dict(codes)})")
    console.print(f"  baseline: raw parse            {baseline:10.0f} msg/s")
    console.print(f"  baseline: raw {store} commit  {raw_commit:10.0f} /s")
    console.print(
        f"  edflow hl7 import              {rate:10.1f} msg/s  ({rate / baseline:.4f} of parse, "
        f"{rate / raw_commit:.2f}x raw commit)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="messages in the file (default 1000)")
    add_store_arguments(parser)
    args = parser.parse_args()
    stores = chosen_stores(args)
    with tempfile.TemporaryDirectory() as scratch:
        for store in stores:
            run_store(store, args, Path(scratch))


if __name__ == "__main__":
    main()
