"""HL7 over MLLP: messages acknowledged per second over one connection (one
frame at a time, as most interface engines send, and pipelined: --window
frames in flight), and over ten connections, against the raw parse rate of the same messages measured in the same run.

    .venv/bin/python deploy/bench/bench_mllp.py --messages 300

Prints figures; asserts nothing. Uses a fresh SQLite store under a temp dir
and a fresh PostgreSQL database (--postgres-dsn, default
EDFLOW_TEST_POSTGRES_DSN), each with its raw commit rate beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Run as a script: the repository root on the path, as for the other benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console
from rich.progress import Progress

from base.facility import load_facility
from deploy.bench.stores import add_store_arguments, chosen_stores, raw_commit_rate, scratch_settings
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from services.hl7.mllp import MllpListener
from services.hl7.parse import decode_text, parse_message, split_segments
from services.hospital import Hospital
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "hl7" / "ms-fhir-converter__ADT-A04-01.hl7"
console = Console(width=140)


def messages(count: int, tag: str) -> list[bytes]:
    """The real A04 sample (8.5 kB) with a unique visit number and control id each."""
    text = SAMPLE.read_bytes().replace(b"\n", b"\r")
    return [
        text.replace(b"40007716", f"{tag}{n}".encode()).replace(b"MSG00001", f"{tag}C{n}".encode())
        for n in range(count)
    ]


def parse_rate(batch: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in batch:
        parse_message(split_segments(decode_text(raw)))
    return len(batch) / (time.perf_counter() - started)


def send_all(port: int, batch: list[bytes], progress=None, task=None) -> int:
    """Request/response as an interface engine does it: one message, wait for its ACK."""
    accepted = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for raw in batch:
            sock.sendall(b"\x0b" + raw + b"\x1c\r")
            reply = b""
            while not reply.endswith(b"\x1c\r"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("listener closed the connection")
                reply += chunk
            accepted += b"MSA|AA|" in reply
            if progress is not None:
                progress.advance(task)
    return accepted


def send_pipelined(port: int, batch: list[bytes], window: int, progress=None, task=None) -> int:
    """Up to `window` frames in flight on one connection, ACKs read in order (MLLP pipelining)."""
    accepted, answered, sent, received = 0, 0, 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        while answered < len(batch):
            if sent < len(batch) and sent - answered < window:
                upto = min(len(batch), answered + window)
                sock.sendall(b"".join(b"\x0b" + raw + b"\x1c\r" for raw in batch[sent:upto]))
                sent = upto
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("listener closed the connection")
            received += chunk
            while b"\x1c\r" in received:
                reply, received = received.split(b"\x1c\r", 1)
                answered += 1
                accepted += b"MSA|AA|" in reply
                if progress is not None:
                    progress.advance(task)
    return accepted


def run_store(store: str, args: argparse.Namespace, scratch: Path) -> None:
    with scratch_settings(store, scratch / f"{store}-raw", args.postgres_dsn) as settings:
        raw_commit = raw_commit_rate(settings, args.messages)
    with scratch_settings(store, scratch / store, args.postgres_dsn) as settings:
        app = Hospital(settings)
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        senders = tuple(load_facility(settings.facility_config).hl7_senders)  # the demo lists the sample's sender
        listener = MllpListener(Intake(app, FeedOptions(senders=senders)), "127.0.0.1", 0, 1 << 20)
        _, port = asyncio.run_coroutine_threadsafe(listener.start(), loop).result(30)

        one, ten, piped = messages(args.messages, "ONE"), messages(args.messages, "TEN"), messages(args.messages, "PIP")
        baseline = parse_rate(one)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"{store}: one connection", total=len(one))
            started = time.perf_counter()
            ok_one = send_all(port, one, progress, task)
            one_rate = len(one) / (time.perf_counter() - started)

            task = progress.add_task(f"{store}: one connection, pipelined", total=len(piped))
            started = time.perf_counter()
            ok_piped = send_pipelined(port, piped, args.window, progress, task)
            piped_rate = len(piped) / (time.perf_counter() - started)

            task = progress.add_task(f"{store}: ten connections", total=len(ten))
            shares = [ten[i::10] for i in range(10)]
            started = time.perf_counter()
            with ThreadPoolExecutor(10) as pool:
                ok_ten = sum(pool.map(lambda share: send_all(port, share, progress, task), shares))
            ten_rate = len(ten) / (time.perf_counter() - started)

        asyncio.run_coroutine_threadsafe(listener.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        app.close()
    console.print(f"HL7 A04 ({SAMPLE.stat().st_size} bytes), {args.messages} messages per scenario, {store} store")
    console.print(f"  baseline: raw parse             {baseline:10.0f} msg/s")
    console.print(f"  baseline: raw {store} commit   {raw_commit:10.0f} /s")
    for label, ok, rate in (
        ("1 connection, AA ", ok_one, one_rate),
        (f"1 connection, {args.window} in flight, AA", ok_piped, piped_rate),
        ("10 connections, AA", ok_ten, ten_rate),
    ):
        console.print(
            f"  MLLP, {label} {ok:4d} {rate:10.1f} msg/s  ({rate / baseline:.4f} of parse, "
            f"{rate / raw_commit:.2f}x raw commit)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300, help="messages per scenario (default 300)")
    parser.add_argument("--window", type=int, default=20, help="frames in flight when pipelining (default 20)")
    add_store_arguments(parser)
    args = parser.parse_args()
    stores = chosen_stores(args)
    with tempfile.TemporaryDirectory() as scratch:
        for store in stores:
            run_store(store, args, Path(scratch))


if __name__ == "__main__":
    main()
