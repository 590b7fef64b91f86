"""Patient data on disk belongs to the account edflow runs as, alone.

The data directory (EDFLOW_DATA_DIR) holds the SQLite store, the token
secret, the worker's tables, reminder outboxes, logs and simulator files.
Every edflow process starts with umask 077 (`use_private_umask`, called by
the `edflow` command), so what it creates is 0600 / 0700; the places that
create the data directory, the store and the secret also set those modes
themselves (`private_dir`, `private_file`), and tighten a directory or store
that an earlier version or another tool left open to group and others.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
OTHERS = 0o077  # group and other permission bits
log = logging.getLogger("edflow.files")


def use_private_umask() -> None:
    """From now on this process creates files 0600 and directories 0700."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter: created 0700 (parents
    as the umask says), or an existing one tightened."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    tighten(path)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner can read: created empty with 0600 if
    missing, or an existing one tightened. Its directory must exist."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    tighten(path)
    return path


def tighten(path: Path) -> None:
    """Remove group and other bits from an existing path; one warning line
    naming it if that is not allowed (another owner, a read-only mount)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not mode & OTHERS:
        return
    try:
        os.chmod(path, mode & ~OTHERS)
    except OSError as error:
        log.warning(
            "%s is open to other accounts (mode %o) and cannot be restricted (%s): patient data may be readable",
            path,
            mode,
            error.strerror or type(error).__name__,
        )
