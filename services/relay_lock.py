"""One publishing relay per event store.

Several `edflow relay` processes may run against one store; the one holding
the store's relay lock publishes and the others stand by, trying the lock
every few seconds. On PostgreSQL the lock is a session advisory lock on a
connection of its own; beside an SQLite store it is an exclusive `flock` on
`events.sqlite.relay-lock`. The operating system (or the PostgreSQL server,
when the connection closes) releases either as soon as its holder dies, even
by SIGKILL, so a standby takes over within one poll interval.

The holder confirms it still holds the lock before every batch: a relay
whose lock connection broke stops publishing and stands by again rather
than publish beside the relay that took over.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from typing import Protocol

import psycopg
from psycopg.conninfo import make_conninfo

from base.private_files import private_dir
from base.settings import Settings

# The advisory lock key: a stable 64-bit number for "edflow relay". Advisory
# locks are scoped to one database, as the event store is.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"edflow:kafka-relay").digest()[:8], "big", signed=True)
LOCK_SUFFIX = ".relay-lock"
# The lock connection is idle most of the time. Keepalives on both ends make a
# holder whose machine vanished lose the lock in about 15 s (the server drops
# its session), and a holder cut off from the server notice it as quickly.
KEEPALIVE: dict[str, str | int] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
    "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
}


class LockLost(Exception):
    """The relay no longer holds the store's relay lock."""


class LockUnavailable(Exception):
    """The lock could not be tried (the store's server or directory is unreachable)."""


class RelayLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if it is free; False if another relay holds it."""
        ...

    def confirm(self) -> None:
        """Raise LockLost unless this relay still holds the lock."""
        ...

    def release(self) -> None: ...


class FileRelayLock:
    """An exclusive flock on a file beside the SQLite store."""

    def __init__(self, path: os.PathLike[str] | str):
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise LockUnavailable(f"the lock file cannot be opened ({error.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def confirm(self) -> None:
        if self._fd is None:
            raise LockLost("the relay lock file is not held")

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor releases the flock


class PostgresRelayLock:
    """A session advisory lock held on a connection of its own."""

    def __init__(self, dsn: str, connect_timeout: int = 3):
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self._conn: psycopg.Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        try:
            conninfo = make_conninfo(self.dsn, connect_timeout=self.connect_timeout, **KEEPALIVE)
            conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as error:
            raise LockUnavailable(f"PostgreSQL is unavailable ({type(error).__name__})") from None
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
        except psycopg.Error as error:
            conn.close()
            raise LockUnavailable(f"PostgreSQL is unavailable ({type(error).__name__})") from None
        if not row or not row[0]:
            conn.close()
            return False
        self._conn = conn
        return True

    def confirm(self) -> None:
        if self._conn is None:
            raise LockLost("the relay lock is not held")
        try:
            # The session holds the lock for as long as it lives; a query that
            # answers proves the session (and so the lock) is still there.
            self._conn.execute("SELECT 1").fetchone()
        except psycopg.Error:
            self.release()
            raise LockLost("the connection holding the relay lock was lost") from None

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()  # ends the session, which releases the advisory lock
            except psycopg.Error:
                pass


def relay_lock(settings: Settings) -> RelayLock:
    """The relay lock for the store `settings` name."""
    if settings.event_store == "postgres":
        settings.require_postgres()
        return PostgresRelayLock(settings.postgres_dsn)
    private_dir(settings.data_dir)
    return FileRelayLock(settings.sqlite_path.with_name(settings.sqlite_path.name + LOCK_SUFFIX))
