"""HL7 v2 parsing and MLLP framing: edflow's own code (services/hl7/parse.py,
mllp.py, datatypes.py) against the `hl7` package (python-hl7) on the same input.

    .venv/bin/python -m deploy.bench.bench_hl7_parse [--seconds 0.2] [--only TABLE]

Tables printed:
  messages  every sample in tests/fixtures/hl7/ as-is, then malformed variants:
            accepted or refused by each, and how many of the values edflow reads
            (MSH, EVN, PID, PV1, PV2, SCH, TQ1, AIS/AIL/AIP/AIG, IN1) are equal;
  speed     messages/s, parse alone and parse + reading those values, on each
            sample with CR segment ends (so both parsers do the same work);
  framing   byte streams through our FrameReader and hl7.mllp's MLLPStreamReader
            (fed in 64 KiB reads, as from a socket), and frames/s;
  times     parse_dtm against hl7.parse_datetime.
A library value that raises IndexError/KeyError (field, component or segment
absent) counts as "" - the wrapper edflow would need. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Run as a script: the repository root on the path, as for the other benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import hl7
from hl7.mllp import InvalidBlockError, MLLPStreamReader
from rich.console import Console
from rich.table import Table

from deploy.bench.hl7_parse_cases import DATES, FIELDS, SAMPLES, frame_cases, message_cases, normalised
from services.hl7.datatypes import parse_dtm
from services.hl7.mllp import FrameReader
from services.hl7.parse import Message, Unparseable, decode_text, parse_message, split_segments
from services.hl7.problems import ContentError, Location

ZONE = ZoneInfo("America/Chicago")
READ = 65536
LIMIT = 64 * 1024
console = Console()
Values = dict[tuple, str]


# --- the two parsers, each as edflow would call it ---------------------------


def ours(raw: bytes) -> list[Message]:
    """A frame's messages, grouped at MSH the way Intake.handle_frame does (envelopes dropped)."""
    groups: list[list[str]] = []
    for line in split_segments(decode_text(raw)):
        name = line[:3].upper()
        if name in ("FHS", "BHS", "BTS", "FTS"):
            groups.append([])
        elif name == "MSH" or not groups:
            groups.append([line])
        else:
            groups[-1].append(line)
    messages = [parse_message(group) for group in groups if group]
    if not messages:
        raise Unparseable("no MSH segment")
    return messages


def library(raw: bytes) -> list[Any]:
    parsed = hl7.parse_hl7(raw.decode("utf-8"))
    if isinstance(parsed, hl7.File):
        return [message for batch in parsed for message in batch]
    return list(parsed) if isinstance(parsed, hl7.Batch) else [parsed]


def our_values(messages: list[Message]) -> Values:
    out: Values = {}
    for n, message in enumerate(messages):
        for name, positions in FIELDS.items():
            for i, segment in enumerate(message.all(name)):
                for field, component, sub, rep in positions:
                    out[n, name, i, field, component, sub, rep] = segment.get(field, component, sub, rep)
    return out


def library_values(messages: list[Any]) -> Values:
    out: Values = {}
    for n, message in enumerate(messages):
        for name, positions in FIELDS.items():
            segments = [s for s in message if str(s[0][0]) == name]
            for i, segment in enumerate(segments):
                for field, component, sub, rep in positions:
                    try:
                        value = segment.extract_field(1, field, rep + 1, component, sub)
                    except (IndexError, KeyError):
                        value = ""
                    out[n, name, i, field, component, sub, rep] = value
    return out


def attempt(parse: Callable[[bytes], list[Any]], read: Callable[[list[Any]], Values], raw: bytes):
    try:
        messages = parse(raw)
        return messages, read(messages), ""
    except Exception as error:  # what each parser refuses with is part of the comparison
        return None, {}, f"{type(error).__name__}: {str(error)[:48]}"


def outcome(messages: list[Any] | None, error: str) -> str:
    if messages is None:
        return f"[red]refused[/] {error}"
    return (
        f"{len(messages)} msg, {sum(len(m) if not isinstance(m, Message) else len(m.segments) for m in messages)} seg"
    )


def compare(a: Values, b: Values) -> str:
    if not a or not b:
        return "-"
    keys = sorted(set(a) | set(b), key=str)
    differ = [k for k in keys if a.get(k) != b.get(k)]
    text = f"{len(keys) - len(differ)}/{len(keys)}"
    for k in differ[:2]:
        where = f"{k[1]}-{k[3]}.{k[4]}" + (f"~{k[6]}" if k[6] else "")
        text += f"\n  {where}: {a.get(k, '<none>')!r:.32} vs {b.get(k, '<none>')!r:.32}"
    return text if differ else f"[green]{text}[/]"


def message_table() -> None:
    table = Table(title="messages: ours vs hl7.parse_hl7 (values equal / values read)")
    for column in ("input", "ours", "hl7", "same values", "same values, hl7 given our segment split"):
        table.add_column(column)
    for label, raw in message_cases():
        mine, mine_values, mine_error = attempt(ours, our_values, raw)
        theirs, their_values, their_error = attempt(library, library_values, raw)
        # What a thin front end would leave: BOM, encoding and LF/CRLF/blank lines handled by our code.
        tidied = "\r".join(split_segments(decode_text(raw))).encode()
        helped = compare(mine_values, attempt(library, library_values, tidied)[1])
        row = [outcome(mine, mine_error), outcome(theirs, their_error), compare(mine_values, their_values), helped]
        table.add_row(label, *row)
    console.print(table)


# --- speed ---------------------------------------------------------------------


def rate(work: Callable[[], object], seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        count += 1
    return count / elapsed


def rates(raw: bytes, seconds: float) -> list[float]:
    """Parse alone, then parse + read, for ours and the library."""
    return [
        rate(lambda: ours(raw), seconds),
        rate(lambda: library(raw), seconds),
        rate(lambda: our_values(ours(raw)), seconds),
        rate(lambda: library_values(library(raw)), seconds),
    ]


def speed_table(seconds: float) -> None:
    table = Table(title=f"speed: messages/s (each figure a {seconds:g} s run)")
    for column in ("sample (CR ends)", "ours parse", "hl7 parse", "ours +read", "hl7 +read", "hl7/ours +read"):
        table.add_column(column, justify="right")
    totals, count = [0.0, 0.0, 0.0, 0.0], 0
    for path in SAMPLES:
        raw = normalised(path.read_bytes())
        if attempt(ours, our_values, raw)[0] is None or attempt(library, library_values, raw)[0] is None:
            table.add_row(path.stem, *["refused"] * 5)
            continue
        figures = rates(raw, seconds)
        totals, count = [t + 1 / f for t, f in zip(totals, figures, strict=True)], count + 1
        table.add_row(path.stem, *(f"{f:,.0f}" for f in figures), f"{figures[3] / figures[2]:.2f}x")
    overall = [count / t for t in totals]
    table.add_row(
        f"[b]{count} samples, one of each[/]", *(f"{f:,.0f}" for f in overall), f"{overall[3] / overall[2]:.2f}x"
    )
    console.print(table)


# --- framing -------------------------------------------------------------------


def our_frames(stream: bytes) -> list[tuple[str, bytes]]:
    reader, out = FrameReader(LIMIT), []
    for at in range(0, len(stream), READ):
        out += reader.feed(stream[at : at + READ])
    return out


async def _library_frames(stream: bytes) -> list[tuple[str, bytes]]:
    reader, out = MLLPStreamReader(limit=LIMIT), []

    async def consume() -> None:
        while True:
            try:
                out.append(("frame", await reader.readblock()))
            except asyncio.IncompleteReadError as error:
                if error.partial:
                    out.append(("IncompleteReadError at close", b""))
                return
            except InvalidBlockError:
                out.append(("InvalidBlockError", b""))
            except ValueError:
                out.append(("over limit (ValueError)", b""))

    task = asyncio.create_task(consume())
    for at in range(0, len(stream), READ):
        reader.feed_data(stream[at : at + READ])
        await asyncio.sleep(0)
    reader.feed_eof()
    await task
    return out


def library_frames(stream: bytes) -> list[tuple[str, bytes]]:
    return asyncio.run(_library_frames(stream))


def describe(got: list[tuple[str, bytes]], expected: list[bytes]) -> str:
    bodies = [body for kind, body in got if kind == "frame"]
    intact = sum(body in expected for body in bodies)
    parts = [f"{intact}/{len(expected)} intact"]
    if len(bodies) > intact:
        parts.append(f"[red]{len(bodies) - intact} wrong frame[/]")
    for kind in dict.fromkeys(kind for kind, _ in got if kind != "frame"):
        parts.append(f"{sum(k == kind for k, _ in got)} {kind}")
    text = ", ".join(parts)
    return f"[green]{text}[/]" if intact == len(expected) and len(bodies) == intact else text


def framing_table(seconds: float) -> None:
    table = Table(title=f"framing: FrameReader vs hl7.mllp.MLLPStreamReader (limit {LIMIT} bytes)")
    for column in ("stream", "ours", "hl7.mllp"):
        table.add_column(column)
    for label, stream, expected in frame_cases():
        table.add_row(label, describe(our_frames(stream), expected), describe(library_frames(stream), expected))
    console.print(table)
    stream = b"".join(b"\x0b" + normalised(SAMPLES[0].read_bytes()) + b"\x1c\r" for _ in range(200))
    mine = rate(lambda: our_frames(stream), seconds) * 200
    theirs = rate(lambda: library_frames(stream), seconds) * 200
    console.print(f"frames/s, 200 x {SAMPLES[0].name}: ours {mine:,.0f}, hl7.mllp {theirs:,.0f} ({theirs / mine:.2f}x)")


# --- date/times ------------------------------------------------------------------


def dates_table() -> None:
    table = Table(title="times: parse_dtm (zone America/Chicago when no offset) vs hl7.parse_datetime")
    for column in ("value", "ours", "hl7"):
        table.add_column(column)
    for value in DATES:
        try:
            stamp = parse_dtm(value, ZONE, Location("EVN", 6))
            mine = "None" if stamp is None else stamp.isoformat()
        except ContentError:
            mine = "refused (AE 102)"
        try:
            parsed = hl7.parse_datetime(value)
            theirs = "None" if parsed is None else parsed.isoformat() + (" (naive)" if parsed.tzinfo is None else "")
        except ValueError as error:
            theirs = f"ValueError: {str(error)[:40]}"
        table.add_row(repr(value), mine, theirs)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.2, help="length of each speed run (default 0.2)")
    parser.add_argument(
        "--only", choices=["messages", "speed", "framing", "times"], action="append", help="print only these tables"
    )
    args = parser.parse_args()
    chosen = set(args.only or ["messages", "speed", "framing", "times"])
    console.print(f"hl7 (python-hl7) {hl7.__version__}")
    if "messages" in chosen:
        message_table()
    if "speed" in chosen:
        speed_table(args.seconds)
    if "framing" in chosen:
        framing_table(args.seconds)
    if "times" in chosen:
        dates_table()


if __name__ == "__main__":
    main()
