"""`edflow hl7 import FILE...`: apply files of HL7 v2 messages in order, as if
they had arrived over MLLP, and write one ACK line per message to a report."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPORT_FIELDS = "position, file, control id (MSH-10), message type, ACK code (AA/AE/AR), reason"


def register(subparsers) -> None:
    parser = subparsers.add_parser("hl7", help="work with HL7 v2 files", description="Work with HL7 v2 files.")
    sub = parser.add_subparsers(dest="hl7_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    importer = sub.add_parser(
        "import",
        help="apply files of HL7 v2 ADT/SIU messages in order, as if sent over MLLP",
        description="Apply the HL7 v2 messages of FILEs, in order, through the same intake as `edflow mllp`: "
        "the same checks, the same senders (facility file [[hl7_senders]]; a sender bound to a client "
        "certificate cannot be imported from a file), the same dedupe by control id (a message already "
        "received gets its first ACK and records nothing new). A file may hold MLLP frames, batch or file "
        "envelopes (FHS/BHS ... BTS/FTS) or messages one after another. The report gets one tab-separated "
        f"line per message: {REPORT_FIELDS}. Exits 0 when every message was accepted (AA), 1 otherwise.",
    )
    importer.add_argument("files", nargs="+", metavar="FILE", type=Path, help="HL7 files, applied in the order given")
    importer.add_argument(
        "--report",
        type=Path,
        help="where to write the ACK report (default: hl7-import-<UTC time>.tsv in the current directory)",
    )
    importer.add_argument("--quiet", action="store_true", help="no progress bar (the summary is still printed)")
    from deploy.commands.mllp import add_feed_arguments

    add_feed_arguments(importer)
    importer.set_defaults(func=run_import)


def _read(files: list[Path]):
    """Every file's messages, read before anything is applied: a missing or
    unreadable file is a one-line error and nothing is imported."""
    from deploy.cli import CommandError
    from services.hl7.bulk import entries

    read = []
    for path in files:
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            raise CommandError(f"{path} is a directory, not an HL7 file") from None
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
        read.append((str(path), entries(data)))
    return read


def run_import(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from deploy.bootstrap import hospital, load_settings
    from deploy.cli import CommandError
    from deploy.commands.mllp import feed_options
    from services.hl7.bulk import apply
    from services.hl7.intake import Intake

    settings = load_settings()
    options = feed_options(args, settings, pinned_need_tls=False)
    files = _read(args.files)
    total = sum(len(items) for _, items in files)
    report = args.report or Path(f"hl7-import-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tsv")
    try:
        out = report.open("x" if args.report is None else "w", encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write the report {report}: {error.strerror or error}") from None
    console = Console(stderr=True)
    codes: Counter[str] = Counter()
    app = hospital(settings)
    started = time.perf_counter()
    try:
        with (
            out,
            Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[codes]}"),
                TimeRemainingColumn(),
                console=console,
                disable=args.quiet,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("import", total=total, codes="")
            for result in apply(Intake(app, options), files):
                out.write(result.line() + "\n")
                codes[result.code] += 1
                progress.update(task, advance=1, codes=_codes(codes))
    finally:
        app.close()
    elapsed = time.perf_counter() - started
    rate = f", {total / elapsed:,.0f} messages/s" if elapsed > 0 and total else ""
    print(f"imported {total} messages from {len(files)} file(s) in {elapsed:.1f}s{rate}: {_codes(codes) or 'none'}")
    print(f"report: {report}")
    return 0 if total and codes["AA"] == total else 1


def _codes(codes: Counter[str]) -> str:
    return ", ".join(f"{codes[code]} {code}" for code in ("AA", "AE", "AR") if codes[code])
