"""`edflow report schedule|stats`: scheduling reports as CSV or Excel."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="scheduling reports (CSV or .xlsx)",
        description="A day's schedule, or no-show, cancellation and lead-time statistics by department and period, "
        "read from the event store (EDFLOW_EVENT_STORE) and written as CSV or an Excel workbook.",
    )
    sub = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    for name, text in (("schedule", "appointments day by day"), ("stats", "no-shows, cancellations, lead time")):
        one = sub.add_parser(
            name,
            help=text,
            description=f"{text.capitalize()}, for appointments starting from --from to --to "
            "(inclusive, facility time).",
        )
        one.add_argument("--facility", required=True, help="facility id")
        one.add_argument("--from", dest="first", type=_day, required=True, help="first day, YYYY-MM-DD")
        one.add_argument("--to", dest="last", type=_day, help="last day, YYYY-MM-DD (default: --from)")
        one.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        one.add_argument("--out", type=Path, required=True, help="file to write")
        if name == "stats":
            one.add_argument(
                "--period", choices=("day", "week", "month"), default="month", help="grouping (default month)"
            )
        one.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from eventsourcing.persistence import PersistenceError
    from rich.progress import Progress

    from base.store_log import envelopes
    from deploy.bootstrap import hospital, load_settings
    from deploy.cli import CommandError
    from events.work_queue import QueueAppointment
    from projections.work_queue import fold_into
    from services.access.report_files import render
    from services.access.reports import SCHEDULE_COLUMNS, STATS_COLUMNS, schedule_rows, stats_rows
    from services.audit.access import record_cli_read

    last = args.last or args.first
    if last < args.first:
        raise CommandError("--to is before --from")
    if not args.out.parent.exists():
        raise CommandError(f"no such directory: {args.out.parent}")
    settings = load_settings()
    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(f"cannot open the {settings.event_store} event store ({type(error).__name__})") from None
    table: dict = {}
    try:
        latest = app.recorder.max_notification_id() or 0
        with Progress(transient=True) as progress:
            task = progress.add_task("reading the event log", total=latest or 1)
            read = envelopes(app, page=5000, stop=latest, on_page=lambda at: progress.update(task, completed=at))
            fold_into(table, (e for e in read if e.facility_id == args.facility))
        appointments = [e for k, e in table.items() if isinstance(e, QueueAppointment)]
        tz = settings.facility_timezone
        columns: tuple[str, ...]
        if args.report == "schedule":
            columns, rows = SCHEDULE_COLUMNS, schedule_rows(appointments, args.first, last, tz)
            refs = [f"Appointment/{row['appointment_id']}" for row in rows]
        else:
            columns, rows = STATS_COLUMNS, stats_rows(appointments, args.first, last, tz, args.period)
            refs = []
        record_cli_read(app, args.facility, f"report/{args.report}", f"{args.first}..{last}", refs)
    finally:
        app.close()
    args.out.write_bytes(render(args.report, args.format, columns, rows))
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0
