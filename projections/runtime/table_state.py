"""Whether the worker's local RocksDB tables can be trusted at start.

After a clean stop, the local tables equal their changelog topics (faust
flushes the producer before it exits), so the worker resumes from them and
reads only the changelog records it has not stored. After a crash the local
tables may hold writes that never reached the changelog; faust would then
replay the changelog's tail over them and mix older and newer entries of the
same event. So without the clean-stop mark the local tables are discarded and
rebuilt from the changelogs, which hold a consistent prefix of the writes (a
facility's cursor, carrying its pending changes, is written before them).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger("edflow.worker")
MARK = "stopped-cleanly"


def discard_unless_stopped_cleanly(datadir: Path, tabledir: Path) -> bool:
    """Remove the local tables unless the last run left the mark; True if removed.
    The mark is consumed: a run that crashes leaves none."""
    mark = datadir / MARK
    if mark.exists():
        mark.unlink()
        return False
    if not tabledir.exists():
        return False
    log.warning("the worker did not stop cleanly last time; rebuilding its tables from their changelogs")
    shutil.rmtree(tabledir)
    return True


def mark_stopped_cleanly(datadir: Path) -> None:
    (datadir / MARK).touch()
