"""`edflow store copy`'s run: verify the SQLite source, copy it into the empty
PostgreSQL target in one transaction, verify the target, and say whether the
two chains end alike (same number of events, same head position and link).

Every failure is one line (exit 2) and leaves the target as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from base.settings import Settings, without_password
from deploy.cli import CommandError

CONNECT_SECONDS = 5


def copy_answer(given_source: str | None, given_target: str | None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from deploy.bootstrap import load_settings

    settings = load_settings(event_store="sqlite")
    if not settings.hash_chain:
        raise CommandError("the copy is checked by the hash chain: unset EDFLOW_HASH_CHAIN=false")
    data_dir = source_dir(given_source, settings.data_dir)
    source_settings = settings.model_copy(update={"data_dir": data_dir, "event_store": "sqlite"})
    dsn = _target_dsn(given_target or settings.postgres_dsn)
    target_settings = source_settings.model_copy(update={"event_store": "postgres", "postgres_dsn": dsn})
    _check_source(source_settings)
    _check_reachable(dsn)

    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    source = _open(source_settings)
    target = None
    try:
        target = _open(target_settings)
        with progress:
            result = _copy(source, target, source_settings, progress)
    finally:
        source.close()
        if target is not None:
            target.close()
    expected, copied, source_report, target_report = result
    print(
        f"copied {copied.describe()} from {source_settings.sqlite_path} to {without_password(dsn)} "
        f"(stored events byte for byte{', still encrypted' if settings.cipher_key else ''})"
    )
    head = f", head at position {target_report.head_id} (link {target_report.head_hash})" if expected.events else ""
    print(f"target verified: intact, {target_report.checked} events{head}")
    print("matches the source: same event count, same head position and link")
    print(
        "next: stop using the SQLite store; run edflow with EDFLOW_EVENT_STORE=postgres, EDFLOW_POSTGRES_DSN set "
        f"to this database and EDFLOW_DATA_DIR={data_dir} (its audit directory holds the chain key and checkpoints)"
    )
    return 0


def source_dir(given: str | None, default: Path) -> Path:
    """The data directory named by --from (a directory, or its events.sqlite)."""
    if given is None:
        return default
    path = Path(given.removeprefix("sqlite:"))
    if path.is_dir():
        return path
    if not path.exists():
        raise CommandError(f"--from {path}: no such file or directory")
    if path.name != "events.sqlite":
        raise CommandError(f"--from {path}: give the store's data directory, or its events.sqlite file")
    return path.parent


def _target_dsn(dsn: str) -> str:
    if not dsn:
        raise CommandError("name the PostgreSQL database: --to postgresql://user:password@host:port/database")
    try:
        parts = urlparse(dsn)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise CommandError(f"--to {without_password(dsn)}: not a postgresql:// URL") from None
    if parts.scheme not in ("postgresql", "postgres") or not parts.path.lstrip("/"):
        raise CommandError(f"--to {without_password(dsn)}: give a postgresql://user:password@host:port/database URL")
    return dsn


def _check_source(settings: Settings) -> None:
    from services.store_copy import is_sqlite_store

    path = settings.sqlite_path
    if not path.exists():
        raise CommandError(f"no SQLite event store at {path}; name it with --from DATA_DIR")
    why = is_sqlite_store(path)
    if why is not None:
        raise CommandError(f"{path} is {why}")


def _check_reachable(dsn: str) -> None:
    import psycopg

    try:
        psycopg.connect(dsn, connect_timeout=CONNECT_SECONDS).close()
    except psycopg.Error as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise CommandError(f"cannot connect to {without_password(dsn)}: {reason}") from None


def _open(settings: Settings) -> Any:
    from eventsourcing.persistence import PersistenceError

    from deploy.bootstrap import hospital

    try:
        return hospital(settings)
    except PersistenceError as error:
        where = settings.sqlite_path if settings.event_store == "sqlite" else without_password(settings.postgres_dsn)
        raise CommandError(f"cannot open the event store at {where} ({type(error).__name__})") from None


def _copy(source: Any, target: Any, settings: Settings, progress: Any) -> tuple[Any, Any, Any, Any]:
    from services.audit import checkpoints
    from services.audit.keys import AuditConfigError, checkpoint_path
    from services.store_copy import CopyRefused, contents, copy_store

    expected = contents(source)
    try:
        known = checkpoints.load(checkpoint_path(settings))
        source_report = _verified(source, known, "source", expected.head, progress)
        before = contents(target)
        if not before.empty:
            raise CommandError(
                f"the target database already holds {before.describe()}: copy into an empty database "
                "(createdb a new one) or drop its edflow tables first"
            )
        task = progress.add_task("copying", total=expected.events)
        copied = copy_store(source, target, expected, progress=lambda n: progress.update(task, completed=n))
        target_report = _verified(target, known, "target", expected.head, progress)
    except AuditConfigError as error:
        raise CommandError(str(error)) from None
    except CopyRefused as error:
        raise CommandError(f"not copied: {error}") from None
    if not target_report.intact:
        why = target_report.unverifiable or (target_report.problem.detail if target_report.problem else "")
        raise CommandError(f"copied, but the target does not verify: {why}; do not use it")
    ends = (target_report.checked, target_report.head_id, target_report.head_hash)
    if ends != (source_report.checked, source_report.head_id, source_report.head_hash):
        raise CommandError(
            f"copied, but the target's chain ends at {ends[1]} ({ends[0]} events, link {ends[2]}), the source's at "
            f"{source_report.head_id} ({source_report.checked} events, link {source_report.head_hash}); do not use it"
        )
    return expected, copied, source_report, target_report


def _verified(app: Any, known: list, which: str, total: int, progress: Any) -> Any:
    from services.audit.verify import verify

    task = progress.add_task(f"verifying {which}", total=total)
    on_event: Callable[[int], None] = lambda n: progress.update(task, completed=n)  # noqa: E731
    report = verify(app, known, progress=on_event)
    problem = report.problem
    if which == "source" and report.unverifiable is not None:
        raise CommandError(f"not copied: the source's chain cannot be verified: {report.unverifiable}")
    if which == "source" and problem is not None:
        raise CommandError(
            f"not copied: the source store is not intact ({problem.kind} at event "
            f"{problem.notification_id}): {problem.detail}; see `edflow audit verify`"
        )
    return report
