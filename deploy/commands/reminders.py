"""`edflow reminders run`: send due appointment reminders and expire waitlist offers.

Safe to stop at any moment (SIGKILL included) and restart: each pass rebuilds
what was already sent from the event store, delivers before it records, and
the notifier recognises a repeated delivery, so every reminder goes out once.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import UTC, datetime

from deploy.times import aware_time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reminders",
        help="appointment reminders and waitlist-offer expiry",
        description="Appointment reminders (EDFLOW_REMINDER_LEADS_MINUTES before the start, default 48 h and 2 h) "
        "through EDFLOW_REMINDER_CHANNEL (log: an outbox under EDFLOW_DATA_DIR; smtp: e-mail via EDFLOW_SMTP_*), "
        "and expiry of waitlist offers that were not taken in time.",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    run = sub.add_parser(
        "run",
        help="send what is due, then keep watching",
        description="Send due reminders and expire old offers; repeat every --every seconds until SIGTERM/SIGINT.",
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument("--every", type=float, default=30.0, help="seconds between passes (default 30)")
    run.add_argument(
        "--now", type=aware_time, help="evaluate as of this instant (ISO 8601 with offset) instead of the clock"
    )
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from eventsourcing.persistence import PersistenceError

    from base.input_bounds import OutOfBounds, TimeWindow
    from deploy.bootstrap import hospital, load_settings
    from deploy.cli import CommandError
    from projections.work_queue_reader import WorkQueueReader
    from services.access.reminders import ReminderProcess, notifier_for

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.every <= 0:
        raise CommandError("--every needs a positive number of seconds")
    settings = load_settings()
    if args.now is not None:
        try:  # what this pass records happens at --now: the event-time rule applies
            TimeWindow.of(settings).check_event(args.now, "--now")
        except OutOfBounds as refused:
            raise CommandError(str(refused)) from None
    try:
        notifier = notifier_for(settings)
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(f"cannot open the {settings.event_store} event store ({type(error).__name__})") from None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    process = ReminderProcess(app, WorkQueueReader(app), notifier, settings.reminder_leads_minutes)
    try:
        while True:
            summary = process.run_pass(args.now or datetime.now(UTC))
            print(
                f"reminders sent {summary.sent}, already recorded {summary.already_recorded}, "
                f"without address {summary.unreachable}, failed {summary.failed}; "
                f"offers expired {summary.offers_expired}",
                flush=True,
            )
            if args.once or stop.wait(args.every):
                return 0
    finally:
        app.close()
