"""`edflow replay`: the board exactly as it stood at a past instant.

Rebuilds the projections from the event store or the Kafka topics with the
same fold the projection worker runs, and prints the waiting room, bed board,
capacity and flow metrics (or JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from deploy.cli import CommandError
from deploy.times import aware_time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="rebuild the board as it stood at any instant (auditors)",
        description=(
            "Fold recorded events with the projection worker's reducers up to an instant and show the "
            "board as it stood then: waiting room, bed board, capacity (NEDOCS) and flow metrics."
        ),
    )
    parser.add_argument(
        "--at", default=None, help="ISO 8601 instant with offset, e.g. 2026-03-02T14:00:00-06:00 (default: now)"
    )
    parser.add_argument(
        "--by",
        choices=("recorded", "occurred"),
        default="recorded",
        help="fold events recorded by --at (what the live board held; default) or that happened by then",
    )
    parser.add_argument(
        "--source",
        choices=("store", "kafka"),
        default="store",
        help="read the event store (default) or the Kafka event topics",
    )
    parser.add_argument("--facility", help="facility id; required when the events hold several")
    parser.add_argument("--json", action="store_true", help="print the board as JSON instead of tables")
    parser.set_defaults(func=run)


def _instant(text: str | None) -> datetime:
    """--at as an aware instant; a bad one is a one-line CommandError."""
    if text is None:
        return datetime.now(UTC)
    try:
        return aware_time(text)
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"--at {error}") from None


def profiles(settings: Any):
    from base.facility import FacilityError
    from projections.profile import facility_profiles

    try:
        return facility_profiles(settings)
    except FacilityError as error:
        raise CommandError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from deploy.bootstrap import load_settings
    from projections.replay import Replay, ReplayError, board_view

    at = _instant(args.at)
    settings = load_settings()
    replay = Replay(at=at, by=args.by, profile_for=profiles(settings))
    console = Console(stderr=True)
    # Only on a terminal: piped output (--json into a file, an audit script) stays clean.
    progress = Progress(
        TextColumn("replaying {task.fields[source]}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task("replay", total=None, source=args.source)
            if args.source == "store":
                _from_store(settings, replay, lambda n, total: progress.update(task, completed=n, total=total))
            else:
                _from_kafka(settings, replay, lambda n, total: progress.update(task, completed=n, total=total))
        facility_id, entries = replay.entries_of(args.facility)
    except ReplayError as error:
        raise CommandError(str(error)) from None
    _record_access(settings, facility_id, args)
    view = board_view(facility_id, entries, at, replay.profile_for(facility_id))
    view.update(by=args.by, source=args.source, events_read=replay.read, events_folded=replay.folded)
    if args.json:
        print(json.dumps(view, indent=2))
    else:
        from deploy.replay_board import print_board

        print_board(view)
    return 0


def _record_access(settings: Any, facility_id: str, args: argparse.Namespace) -> None:
    """A replay shows patients (initials, ages, complaints): it is an audited read."""
    from eventsourcing.persistence import PersistenceError

    from deploy.bootstrap import hospital
    from services.audit.access import record_cli_read

    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(
            f"cannot record this replay in the access log ({type(error).__name__}); check EDFLOW_EVENT_STORE"
        ) from None
    try:
        record_cli_read(app, facility_id, f"replay/{args.source}", args.at or "now")
    finally:
        app.close()


def _from_store(settings: Any, replay: Any, progressed) -> None:
    from eventsourcing.persistence import PersistenceError

    from deploy.bootstrap import hospital
    from projections.replay import store_envelopes

    try:
        app = hospital(settings)
    except PersistenceError as error:
        raise CommandError(
            f"cannot open the {settings.event_store} event store ({type(error).__name__}); check EDFLOW_EVENT_STORE"
        ) from None
    try:
        total = app.recorder.max_notification_id() or 0
        for envelope in store_envelopes(app, on_page=lambda last: progressed(last, total)):
            replay.feed(envelope)
    finally:
        app.close()


def _from_kafka(settings: Any, replay: Any, progressed) -> None:
    import logging

    from base.kafka_clients import KafkaSettingsError
    from projections.runtime.kafka_source import kafka_envelopes

    # The client logs every failed connection attempt; the one-line error says it all.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    topics = settings.topics
    try:
        envelopes = asyncio.run(kafka_envelopes(settings, topics.event_topics, on_record=progressed))
    except KafkaSettingsError as error:
        raise CommandError(str(error)) from None
    for envelope in envelopes:
        replay.feed(envelope)
