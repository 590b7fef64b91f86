"""`edflow report schedule|stats|measures`: scheduling reports and the ED's
monthly quality measures, as CSV or Excel."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from events.envelope import Envelope


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _month(text: str) -> date:
    try:
        if len(text) != len("YYYY-MM"):
            raise ValueError(text)
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}") from None


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="scheduling reports and monthly ED measures (CSV or .xlsx)",
        description="A day's schedule, no-show, cancellation and lead-time statistics by department and period, "
        "or the ED's monthly quality measures, read from the event store (EDFLOW_EVENT_STORE) and written as CSV "
        "or an Excel workbook.",
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
    measures = sub.add_parser(
        "measures",
        help="monthly ED measures: OP-18, ED-1, ED-2, door-to-provider, LWBS",
        description="Per month and disposition: visit counts, median door-to-provider, median ED length of stay "
        "for discharged (OP-18) and admitted (ED-1) visits, median admit decision to departure (ED-2) and the "
        "LWBS rate. A visit counts in the month it left the ED (facility time). Every row states its definition.",
    )
    measures.add_argument("--facility", required=True, help="facility id")
    measures.add_argument("--month", dest="first", type=_month, required=True, help="month, YYYY-MM")
    measures.add_argument("--to", dest="last", type=_month, help="last month, YYYY-MM (default: --month)")
    measures.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    measures.add_argument("--out", type=Path, required=True, help="file to write")
    measures.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from eventsourcing.persistence import PersistenceError

    from deploy.bootstrap import hospital, load_settings
    from deploy.cli import CommandError
    from services.access.report_files import render
    from services.audit.access import record_cli_read

    last = args.last or args.first
    if last < args.first:
        raise CommandError(f"--to is before {'--month' if args.report == 'measures' else '--from'}")
    if not args.out.parent.exists():
        raise CommandError(f"no such directory: {args.out.parent}")
    settings = load_settings()
    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(f"cannot open the {settings.event_store} event store ({type(error).__name__})") from None
    try:
        read = _read_log(app)
        if args.report == "measures":
            columns, rows, refs, span = _measures(read, args, last, settings)
        else:
            columns, rows, refs, span = _scheduling(read, args, last, settings.facility_timezone)
        record_cli_read(app, args.facility, f"report/{args.report}", span, refs)
    finally:
        app.close()
    args.out.write_bytes(render(args.report, args.format, columns, rows))
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


def _read_log(app) -> Iterator[Envelope]:
    """The store's published events, with a progress bar while they are read."""
    from rich.progress import Progress

    from base.store_log import envelopes

    latest = app.recorder.max_notification_id() or 0
    with Progress(transient=True) as progress:
        task = progress.add_task("reading the event log", total=latest or 1)
        yield from envelopes(app, page=5000, stop=latest, on_page=lambda at: progress.update(task, completed=at))


Report = tuple[tuple[str, ...], list[dict[str, Any]], list[str], str]


def _measures(read: Iterator[Envelope], args: argparse.Namespace, last: date, settings) -> Report:
    from projections import measures
    from projections.profile import facility_profiles

    visits = measures.visits(read, args.facility)
    months = measures.months_between(args.first, last)
    timezone = facility_profiles(settings)(args.facility).timezone
    rows = measures.monthly_rows(visits.values(), months, timezone)
    return measures.COLUMNS, rows, [], f"{months[0]}..{months[-1]}"


def _scheduling(read: Iterator[Envelope], args: argparse.Namespace, last: date, tz: str) -> Report:
    from events.work_queue import QueueAppointment
    from projections.work_queue import fold_into
    from services.access.reports import SCHEDULE_COLUMNS, STATS_COLUMNS, schedule_rows, stats_rows

    table: dict = {}
    fold_into(table, (e for e in read if e.facility_id == args.facility))
    appointments = [e for e in table.values() if isinstance(e, QueueAppointment)]
    if args.report == "schedule":
        rows = schedule_rows(appointments, args.first, last, tz)
        refs = [f"Appointment/{row['appointment_id']}" for row in rows]
        return SCHEDULE_COLUMNS, rows, refs, f"{args.first}..{last}"
    return STATS_COLUMNS, stats_rows(appointments, args.first, last, tz, args.period), [], f"{args.first}..{last}"
