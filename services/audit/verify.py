"""Walk the event log and its chain, compare it with the checkpoints, and name
what was done to it: an event altered, inserted or deleted (by position), the
newest events cut off, or the chain recomputed without the key.

The walk alone catches edits, insertions and deletions inside the log; only
a checkpoint kept outside the database catches a log cut short, because
what remains of the chain still agrees with itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from eventsourcing.persistence import Notification

from base.store_log import PAGE, pages
from services.audit.chain import CHAIN_TABLE, GENESIS, expected_link, is_keyed
from services.audit.checkpoints import Checkpoint
from services.audit.keys import chain_key, key_id, key_source

ProblemKind = Literal["altered", "inserted", "missing", "truncated", "recomputed", "checkpoint-forged"]
T = TypeVar("T")


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
    problem: Problem | None = None
    # Why the log cannot be judged (no key, another key): neither intact nor tampered.
    unverifiable: str | None = None
    keyed_from: int | None = None
    checkpoints: Sequence[Checkpoint] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        return self.problem is None and self.unverifiable is None

    @property
    def newest_checkpoint(self) -> Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.position, default=None)


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


def verify(
    app,
    checkpoints: Iterable[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
    key: bytes | None = None,
) -> Report:
    """Check the whole log; `key` defaults to the configured chain key."""
    key = key if key is not None else chain_key(app.settings, create=False)
    known = tuple(checkpoints)
    signed = [c for c in known if c.signed]
    if signed and key is None:
        return Report(0, None, None, unverifiable=f"the checkpoints are signed, but {_no_key(app)}", checkpoints=known)
    if key is not None:
        ours = key_id(key)
        others = sorted({c.key_id or "?" for c in signed if c.key_id != ours})
        if others:
            return Report(
                0,
                None,
                None,
                unverifiable=f"the checkpoints were signed with another key (id {', '.join(others)}) than "
                f"{key_source(app.settings)} (id {ours}): this is not the store's chain key",
                checkpoints=known,
            )
        for forged in (c for c in signed if not c.mac_matches(key)):
            detail = f"checkpoint on line {forged.line} does not verify under the key: the checkpoint file was edited"
            return Report(0, None, None, Problem("checkpoint-forged", forged.position, detail), checkpoints=known)
    walk = _Walk(app, key, key_confirmed=bool(signed), progress=progress)
    report = walk.run(known)
    if report.intact and known:
        problem = _against_checkpoints(walk.links, report.head_id, known)
        if problem is not None:
            return Report(report.checked, report.head_id, None, problem, None, report.keyed_from, known)
    return report


class _Walk:
    def __init__(self, app, key: bytes | None, key_confirmed: bool, progress: Callable[[int], None] | None):
        self.app, self.key, self.key_confirmed, self.progress = app, key, key_confirmed, progress
        self.links = chain_rows(app)
        self.checked = 0
        self.keyed_from: int | None = None
        self.head: tuple[int, bytes] | None = None

    def report(self, problem: Problem | None = None, unverifiable: str | None = None, checkpoints=()) -> Report:
        head_id, head_hash = self.head if self.head else (None, None)
        if problem or unverifiable:
            head_hash = None
        return Report(
            self.checked,
            head_id,
            head_hash.hex() if head_hash else None,
            problem,
            unverifiable,
            self.keyed_from,
            checkpoints,
        )

    def run(self, checkpoints: Sequence[Checkpoint]) -> Report:
        ids = sorted(self.links)
        next_link = 0
        previous, previous_id = GENESIS, 0
        for current, following in _with_next(notifications(self.app)):
            self.checked += 1
            if self.progress:
                self.progress(current.id)
            position = current.id
            if next_link < len(ids) and ids[next_link] < position:
                return self.report(_orphans([n for n in ids[next_link:] if n < position]), checkpoints=checkpoints)
            if next_link >= len(ids) or ids[next_link] > position:
                detail = f"event {position} has no chain link: inserted outside edflow"
                return self.report(Problem("inserted", position, detail), checkpoints=checkpoints)
            next_link += 1
            stored = self.links[position]
            found = self._check(position, stored, previous, previous_id, current, following)
            if isinstance(found, str):
                return self.report(unverifiable=found, checkpoints=checkpoints)
            if found is not None:
                return self.report(found, checkpoints=checkpoints)
            previous, previous_id = stored, position
            self.head = (position, stored)
        if next_link < len(ids):
            return self.report(_orphans(ids[next_link:]), checkpoints=checkpoints)
        return self.report(checkpoints=checkpoints)

    def _check(
        self,
        position: int,
        stored: bytes,
        previous: bytes,
        previous_id: int,
        current: Notification,
        following: Notification | None,
    ) -> Problem | str | None:
        """None if the link at `position` holds; else the problem, or why it cannot be judged."""
        if is_keyed(stored):
            if self.keyed_from is None:
                self.keyed_from = position
                if self.key is None:
                    return f"the chain is keyed from position {position}, but {_no_key(self.app)}"
        elif len(stored) != len(GENESIS):
            return Problem("altered", position, f"the chain link at position {position} is not one edflow writes")
        elif self.keyed_from is not None:
            detail = (
                f"chain recomputed without the key: position {position} holds an unkeyed link inside the chain "
                f"keyed from position {self.keyed_from}"
            )
            return Problem("recomputed", position, detail)
        if expected_link(self.key, stored, previous, position, current) == stored:
            return None
        if following is None or self._holds(following, stored):
            # The link at `position` is the one written then (the next link
            # was made over it): what it covers changed.
            if position > previous_id + 1:
                return _gap(previous_id, position)
            detail = (
                f"event {position} altered: its content differs from what was chained "
                f"(link mismatch at position {position})"
            )
            if position == self.keyed_from and position > 1:
                detail += "; or the unkeyed chain before it was recomputed"
            return Problem("altered", position, detail)
        if not is_keyed(stored):
            return Problem("altered", position, f"chain link at position {position} altered (link mismatch)")
        if position == self.keyed_from and not self.key_confirmed:
            return (
                f"the keyed chain fails from its first keyed link (position {position}) on: "
                f"{key_source(self.app.settings)} is probably not this store's chain key "
                "(or the whole keyed chain was recomputed without it)"
            )
        detail = (
            f"chain recomputed without the key: the links from position {position} on fail the keyed MAC "
            f"(event {position} or a later one was edited and the chain rewritten)"
        )
        return Problem("recomputed", position, detail)

    def _holds(self, event: Notification, previous: bytes) -> bool:
        stored = self.links.get(event.id)
        if stored is None or (is_keyed(stored) and self.key is None) or (is_keyed(previous) and not is_keyed(stored)):
            return False
        return expected_link(self.key, stored, previous, event.id, event) == stored


def _against_checkpoints(
    links: dict[int, bytes], head_id: int | None, checkpoints: Sequence[Checkpoint]
) -> Problem | None:
    newest = max(checkpoints, key=lambda c: c.position)
    end = head_id or 0
    if newest.position > end:
        missing = newest.position - end
        detail = (
            f"{missing} event{'s' if missing != 1 else ''} missing at the end since the checkpoint of {newest.at}: "
            f"the log ends at position {end}, the checkpoint recorded position {newest.position}"
        )
        return Problem("truncated", end + 1, detail)
    for checkpoint in sorted(checkpoints, key=lambda c: c.position):
        position, stored = checkpoint.position, links.get(checkpoint.position)
        if stored is None:
            detail = (
                f"event {position} missing: the checkpoint of {checkpoint.at} recorded it, the log no longer holds it "
                "(deleted with its chain link)"
            )
            return Problem("missing", position, detail)
        if stored.hex() == checkpoint.link:
            continue
        if is_keyed(bytes.fromhex(checkpoint.link)) and not is_keyed(stored):
            detail = (
                f"chain recomputed without the key: the checkpoint of {checkpoint.at} recorded a keyed link at "
                f"position {position}, the store now holds an unkeyed one"
            )
        else:
            detail = (
                f"chain recomputed: at position {position} it differs from the checkpoint of {checkpoint.at}; "
                f"history up to position {position} was rewritten"
            )
        return Problem("recomputed", position, detail)
    return None


def _orphans(positions: list[int]) -> Problem:
    if len(positions) == 1:
        return Problem("missing", positions[0], f"event {positions[0]} deleted: its chain link remains")
    detail = f"events {positions[0]}-{positions[-1]} deleted ({len(positions)} events): their chain links remain"
    return Problem("missing", positions[0], detail)


def _gap(previous_id: int, position: int) -> Problem:
    first, last = previous_id + 1, position - 1
    if first == last:
        detail = f"event {first} missing: deleted together with its chain link"
    else:
        detail = f"events {first}-{last} missing ({last - first + 1} events): deleted together with their chain links"
    detail += f" (the link at position {position} was made over {'it' if first == last else 'them'})"
    return Problem("missing", first, detail)


def _no_key(app) -> str:
    return f"no chain key is available (EDFLOW_CHAIN_KEY unset, {key_source(app.settings)} absent)"


def _with_next(items: Iterator[T]) -> Iterator[tuple[T, T | None]]:
    current = next(items, None)
    while current is not None:
        following = next(items, None)
        yield current, following
        current = following
