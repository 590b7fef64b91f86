"""`edflow audit verify`'s answer: one screen, and an exit code a script can
act on — 0 intact, 1 tampered, 2 cannot verify (with the reason)."""

from __future__ import annotations

from base.settings import Settings

INTACT, TAMPERED, CANNOT_VERIFY = 0, 1, 2
NO_CHECKPOINT = "no checkpoint to compare with: truncation of the newest events cannot be detected"


def verify_answer(settings: Settings, explicit: bool) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from deploy.bootstrap import hospital
    from services.audit import checkpoints
    from services.audit.keys import AuditConfigError, checkpoint_path
    from services.audit.verify import verify

    try:
        known = checkpoints.load(checkpoint_path(settings))
    except AuditConfigError as error:
        print(f"CANNOT VERIFY: {error}")
        return CANNOT_VERIFY
    app = hospital(settings)
    try:
        total = app.recorder.max_notification_id() or 0
        console = Console(stderr=True)
        with Progress(
            TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
        ) as bar:
            task = bar.add_task("chain", total=total)
            report = verify(app, known, progress=lambda n: bar.update(task, completed=n))
    except AuditConfigError as error:
        print(f"CANNOT VERIFY: {error}")
        return CANNOT_VERIFY
    finally:
        app.close()
    legacy = settings.data_dir / "audit-checkpoints.jsonl"
    if not explicit and legacy.exists():
        print(
            f"note: {legacy} holds checkpoints of an earlier version inside the data directory; "
            "move it out of the data directory and pass it with --checkpoints"
        )
    if report.unverifiable is not None:
        print(f"CANNOT VERIFY: {report.unverifiable}")
        return CANNOT_VERIFY
    if report.problem is not None:
        print(f"NOT INTACT ({report.problem.kind}): {report.problem.detail}")
        print(f"{_plural(report.checked, 'event')} checked; {_keyed(report)}; {_plural(len(known), 'checkpoint')} read")
        return TAMPERED
    head = f", head at position {report.head_id} (link {report.head_hash})" if report.head_id else ""
    print(f"intact: {_plural(report.checked, 'event')}{head}")
    print(_keyed(report))
    print(_covered(report))
    return INTACT


def _keyed(report) -> str:
    if report.checked == 0:
        return "the log is empty"
    if report.keyed_from is None:
        return (
            "no keyed link yet (the chain was written before it was keyed): anyone with database access "
            "could recompute it; the next event recorded starts the keyed chain"
        )
    if report.keyed_from == 1:
        return "keyed chain (HMAC-SHA256) over every event"
    return (
        f"keyed chain from position {report.keyed_from}; the links before it are unkeyed SHA-256, "
        "written before keying: anyone with database access could recompute those"
    )


def _covered(report) -> str:
    newest = report.newest_checkpoint
    if newest is None:
        return NO_CHECKPOINT
    unsigned = sum(1 for c in report.checkpoints if not c.signed)
    line = f"{_plural(len(report.checkpoints), 'checkpoint')} matched"
    line += f" ({unsigned} unsigned)" if unsigned else ""
    line += f", the newest at position {newest.position} of {newest.at}"
    after = (report.head_id or 0) - newest.position
    if after > 0:
        line += f"; deleting the {_plural(after, 'newer event')} would not be noticed before the next checkpoint"
    return line


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
