"""`edflow audit`: prove history was not altered; show a patient's timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from deploy.cli import CommandError
from deploy.times import aware_time


def register(sub) -> None:
    parser = sub.add_parser("audit", help="verify the event log's hash chain, keep checkpoints, show timelines")
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = actions.add_parser("verify", help="walk the hash chain; name the first altered, inserted or missing event")
    verify.add_argument("--anchors", type=Path, help="checkpoint file (default: <data dir>/audit-checkpoints.jsonl)")
    verify.set_defaults(func=run_verify)

    checkpoint = actions.add_parser(
        "checkpoint", help="append the chain head to the checkpoint file; keep a copy outside this machine"
    )
    checkpoint.add_argument(
        "--anchors", type=Path, help="checkpoint file (default: <data dir>/audit-checkpoints.jsonl)"
    )
    checkpoint.set_defaults(func=run_checkpoint)

    timeline = actions.add_parser("timeline", help="every event of one visit, with who did it and both times")
    timeline.add_argument("--facility", required=True, help="facility id, e.g. demo")
    timeline.add_argument("--visit", required=True, help="visit number (as registered) or encounter id")
    timeline.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    timeline.set_defaults(func=run_timeline)

    access = actions.add_parser("access", help="who read which patient's identifiable data, when, from where")
    access.add_argument("--facility", help="only this facility")
    access.add_argument("--actor", help="only this user id")
    access.add_argument(
        "--resource-id",
        "--record",
        dest="resource_id",
        help="only reads, searches and lists that returned this record (an encounter or appointment id, an MRN)",
    )
    access.add_argument("--since", type=aware_time, help="ISO 8601 time with offset")
    access.add_argument("--until", type=aware_time, help="ISO 8601 time with offset")
    access.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    access.set_defaults(func=run_access)


def _app():
    from deploy.bootstrap import hospital, load_settings

    settings = load_settings()
    return settings, hospital(settings)


def _anchors_path(settings, given: Path | None) -> Path:
    return given or settings.data_dir / "audit-checkpoints.jsonl"


def run_verify(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from services.audit.verify import load_anchors, verify

    settings, app = _app()
    anchors = load_anchors(_anchors_path(settings, args.anchors))
    total = app.recorder.max_notification_id() or 0
    console = Console(stderr=True)
    with Progress(TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("chain", total=total)
        report = verify(app, anchors, progress=lambda n: bar.update(task, completed=n))
    problem = report.problem
    if problem is None:
        print(
            f"intact: {report.checked} events, {len(anchors)} checkpoints matched; "
            f"head {report.head_id} {report.head_hash}"
        )
        return 0
    print(
        f"NOT INTACT: event {problem.notification_id} {problem.kind}: {problem.detail} "
        f"({report.checked} events checked)"
    )
    return 1


def run_checkpoint(args) -> int:
    from services.audit.verify import verify

    settings, app = _app()
    report = verify(app)
    if report.problem is not None:
        raise CommandError(
            f"chain is not intact at event {report.problem.notification_id} ({report.problem.kind}); not checkpointing"
        )
    if report.head_id is None:
        raise CommandError("the event log is empty; nothing to checkpoint")
    record = {"notification_id": report.head_id, "hash": report.head_hash, "at": datetime.now(UTC).isoformat()}
    path = _anchors_path(settings, args.anchors)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(record) + "\n")
    print(json.dumps(record))
    return 0


def run_timeline(args) -> int:
    from services.audit.access import record_cli_read
    from services.audit.timeline import visit_timeline
    from services.errors import NotFound

    _, app = _app()
    try:
        rows = visit_timeline(app, args.facility, args.visit)
    except NotFound as error:
        raise CommandError(f"{error.message}; check --facility and --visit") from None
    record_cli_read(app, args.facility, "timeline", args.visit)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("pos", "event", "occurred at", "recorded at", "actor", "role", "detail")
    for row in rows:
        table.add_row(
            str(row["position"]),
            row["type"],
            row["occurred_at"],
            row["recorded_at"],
            row["actor"],
            row["role"],
            row["detail"],
        )
    Console().print(table)
    return 0


def run_access(args) -> int:
    import msgspec

    from services.audit.access import access_log

    _, app = _app()
    entries = list(access_log(app, args.facility, args.actor, args.resource_id, args.since, args.until))
    if args.json:
        for entry in entries:
            print(msgspec.json.encode(entry).decode())
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("at", "facility", "actor", "role", "action", "resource", "record", "from", "returned")
    for e in entries:
        table.add_row(
            e.at.isoformat(),
            e.facility_id,
            e.actor_id,
            e.role,
            e.action,
            e.resource,
            e.resource_id,
            e.client,
            _returned(e),
        )
    Console().print(table)
    return 0


def _returned(entry) -> str:
    """What a search or list returned (all of it: `--json` prints the same), or a board watch's period."""
    from services.audit.access import Watch

    if isinstance(entry.watch, Watch):
        watch = entry.watch
        ended = watch.ended_at.isoformat() if watch.ended_at else "watching"
        return f"board {watch.view}, {watch.started_at.isoformat()} to {ended} (watch {watch.id})"
    refs = entry.refs()
    return f"{len(refs)}: {' '.join(refs)}" if refs else ""
