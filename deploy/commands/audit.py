"""`edflow audit`: prove history was not altered; show a patient's timeline."""

from __future__ import annotations

import json
from pathlib import Path

from deploy.cli import CommandError
from deploy.times import aware_time

CHECKPOINTS_HELP = "checkpoint file (default: EDFLOW_CHECKPOINT_FILE, or checkpoints.jsonl in <data dir>-audit)"


def register(sub) -> None:
    parser = sub.add_parser("audit", help="verify the event log's hash chain, keep checkpoints, show timelines")
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify",
        help="walk the keyed hash chain, compare it with the checkpoints; exit 0 intact, 1 tampered, 2 cannot verify",
    )
    verify.add_argument("--checkpoints", "--anchors", dest="checkpoints", type=Path, help=CHECKPOINTS_HELP)
    verify.set_defaults(func=run_verify)

    checkpoint = actions.add_parser(
        "checkpoint",
        help="verify, then append a signed checkpoint of the chain head now (the relay also takes them on its own)",
    )
    checkpoint.add_argument("--checkpoints", "--anchors", dest="checkpoints", type=Path, help=CHECKPOINTS_HELP)
    checkpoint.set_defaults(func=run_checkpoint)

    timeline = actions.add_parser(
        "timeline",
        help="every event of one visit, or of one patient's visits and appointments (--mrn), "
        "with who did it, both times, and corrections against what they corrected",
    )
    timeline.add_argument("--facility", required=True, help="facility id, e.g. demo")
    which = timeline.add_mutually_exclusive_group(required=True)
    which.add_argument("--visit", help="visit number (as registered) or encounter id")
    which.add_argument(
        "--mrn",
        help="medical record number within the facility: all its ED visits and appointments, and those "
        "of every MRN merged with it in the patient index (HL7 A40 or a scheduler's merge), with the merge",
    )
    timeline.add_argument(
        "--by",
        choices=("occurred", "recorded"),
        default="occurred",
        help="with --mrn: order by occurred (default) or recorded time; a visit is in store order",
    )
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


def _with_checkpoint_file(settings, given: Path | None):
    return settings if given is None else settings.model_copy(update={"checkpoint_file": given})


def run_verify(args) -> int:
    from deploy.audit_verify import verify_answer
    from deploy.bootstrap import load_settings

    return verify_answer(
        _with_checkpoint_file(load_settings(), args.checkpoints), explicit=args.checkpoints is not None
    )


def run_checkpoint(args) -> int:
    from deploy.bootstrap import hospital, load_settings
    from services.audit import checkpoints
    from services.audit.keys import AuditConfigError, chain_key, checkpoint_path
    from services.audit.verify import verify

    settings = _with_checkpoint_file(load_settings(), args.checkpoints)
    app = hospital(settings)
    try:
        report = verify(app, checkpoints.load(checkpoint_path(settings)))
        if report.unverifiable is not None:
            raise CommandError(f"cannot verify the chain ({report.unverifiable}); not checkpointing")
        if report.problem is not None:
            raise CommandError(
                f"chain is not intact at event {report.problem.notification_id} ({report.problem.kind}); "
                "not checkpointing"
            )
        if report.head_id is None or report.head_hash is None:
            raise CommandError("the event log is empty; nothing to checkpoint")
        key = chain_key(settings, create=report.keyed_from is None)
        if key is None:
            raise CommandError("no chain key is available; set EDFLOW_CHAIN_KEY")
        taken = checkpoints.append(settings, key, report.head_id, bytes.fromhex(report.head_hash), "audit checkpoint")
    except AuditConfigError as error:
        raise CommandError(str(error)) from None
    finally:
        app.close()
    print(json.dumps({**taken.body(), "mac": taken.mac}))
    return 0


def run_timeline(args) -> int:
    from services.audit.access import record_cli_read
    from services.audit.timeline import patient_timeline, visit_timeline
    from services.errors import Invalid, NotFound

    _, app = _app()
    try:
        if args.mrn is not None:
            records, rows = patient_timeline(app, args.facility, args.mrn, args.by)
            record_cli_read(app, args.facility, "patient-timeline", args.mrn.strip(), [r.ref() for r in records])
        else:
            rows = visit_timeline(app, args.facility, args.visit)
            record_cli_read(app, args.facility, "timeline", args.visit)
    except NotFound as error:
        raise CommandError(f"{error.message}; check --facility and --{'mrn' if args.mrn else 'visit'}") from None
    except Invalid as error:
        raise CommandError(f"--{error.message}") from None
    finally:
        app.close()
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("pos", "record", "event", "occurred at", "recorded at", "by", "what")
    for row in rows:
        table.add_row(
            str(row["position"]),
            row["reference"],
            row["type"],
            row["occurred_at"] + (f" (late {row['late_by_minutes']} min)" if row["late"] else ""),
            row["recorded_at"],
            f"{row['actor']} ({row['role']})",
            _what(row),
        )
    Console().print(table)
    return 0


def _what(row) -> str:
    """The summary, a correction's changes and target, and who corrected the event."""
    lines = [row["summary"]]
    if row["correction"]:
        lines.append(f"correction: {row['correction_note']}")
    for by in row["corrected_by"]:
        lines.append(
            f"corrected by {by['type']} at pos {by['position']}: {by['actor']} ({by['role']}), {by['after']} later"
        )
    return "\n".join(lines)


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
