"""Walk the event log and its hash chain; name the first altered, inserted or
missing event. Checkpoints (anchors) kept outside the database catch a chain
rewritten wholesale."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from eventsourcing.persistence import Notification

from base.store_log import PAGE, pages
from services.audit.chain import CHAIN_TABLE, GENESIS, link

ProblemKind = Literal["altered", "inserted", "missing", "chain-broken", "checkpoint-mismatch"]


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    notification_id: int
    detail: str


@dataclass(frozen=True)
class Report:
    checked: int
    head_id: int | None
    head_hash: str | None
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def chain_rows(app) -> dict[int, bytes]:
    """notification id -> stored link, read straight from the chain table."""
    recorder = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT notification_id, hash FROM {CHAIN_TABLE} ORDER BY notification_id")
        rows = cursor.fetchall()
    return {
        int(r[0] if not isinstance(r, dict) else r["notification_id"]): bytes(
            r[1] if not isinstance(r, dict) else r["hash"]
        )
        for r in rows
    }


def notifications(app, batch: int = PAGE) -> Iterator[Notification]:
    """Every stored notification, in store order, internal records included:
    the chain covers them all."""
    for page in pages(app, page=batch):
        yield from page


def verify(app, anchors: dict[int, str] | None = None, progress: Callable[[int], None] | None = None) -> Report:
    links = chain_rows(app)
    previous_stored = GENESIS
    previous_id = 0
    checked = 0
    head: tuple[int, bytes] | None = None
    for notification in notifications(app):
        checked += 1
        if progress:
            progress(notification.id)
        # A chain link whose event is gone, between the last event and this one.
        gap = [n for n in range(previous_id + 1, notification.id) if n in links]
        if gap:
            return Report(
                checked, head and head[0], None, Problem("missing", gap[0], "event deleted: its chain link remains")
            )
        stored = links.get(notification.id)
        if stored is None:
            return Report(
                checked,
                head and head[0],
                None,
                Problem("inserted", notification.id, "event has no chain link: inserted outside edflow"),
            )
        if link(previous_stored, notification.id, notification) != stored:
            detail = (
                "event content differs from what was chained"
                if _chain_ok(links, previous_id, notification.id)
                else "chain link altered"
            )
            return Report(checked, head and head[0], None, Problem("altered", notification.id, detail))
        previous_stored, previous_id = stored, notification.id
        head = (notification.id, stored)
    trailing = [n for n in links if n > previous_id]
    if trailing:
        return Report(
            checked, head and head[0], None, Problem("missing", min(trailing), "event deleted: its chain link remains")
        )
    for anchor_id, anchor_hash in sorted((anchors or {}).items()):
        if anchor_id not in links or links[anchor_id].hex() != anchor_hash:
            return Report(
                checked,
                head and head[0],
                None,
                Problem(
                    "checkpoint-mismatch", anchor_id, "chain differs from an external checkpoint: history was rewritten"
                ),
            )
    return Report(checked, head and head[0], head and head[1].hex(), None)


def _chain_ok(links: dict[int, bytes], previous_id: int, notification_id: int) -> bool:
    return notification_id in links and (previous_id == 0 or previous_id in links)


def load_anchors(path: Path) -> dict[int, str]:
    anchors: dict[int, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                anchors[int(record["notification_id"])] = record["hash"]
    return anchors
