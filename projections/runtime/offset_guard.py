"""Fold each event partition in offset order, with no hole, and commit no
offset past what was folded, whatever faust hands the agent.

faust-streaming 0.15.3 can let a record go unfolded and still commit past it
around a rebalance. `Recovery.on_recovery_completed` (tables/recovery.py)
resumes the stream partitions, then awaits `Consumer.perform_seek()`, then
calls `app.flow_control.resume()`. Flow control was resumed during table
recovery already, so while the seek runs the fetcher keeps handing records to
the agent's queue (`Consumer._drain_messages`, transport/consumer.py); the
final `resume()` clears that queue (stream queues are `clear_on_resume=True`)
although the consumer's read offset has moved past the records in it. Those
records are then dropped when fetched again ("DROPPED MESSAGE ROFF", their
offset is below the read offset), or a read offset the seek reset makes the
next record look like a gap that `_add_gap` marks acknowledged; and
`_new_offset` commits past one missing offset at the head of the
acknowledgements (`min(acked) - committed > 1`) or past any number once a
revocation has forgotten the committed offset. The event is never folded,
and the board keeps the visit as it was.

So the agent folds a record of an event partition only if it is the next one
(`admit`): one below was folded already; one above means records were
skipped, and the partition is sought back to the first of them (again every
`RESEEK` seconds until it comes, `recheck`). Commits are clamped to the
next offset to fold (`install`), so a worker that dies commits nothing it did
not fold. Re-reading is safe: the fold drops what it already applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

log = logging.getLogger("edflow.worker")

RESEEK = 1.0
Key = tuple[str, int]
Seek = Callable[[str, int, int], Awaitable[None]]


class OffsetGuard:
    """Per event partition: the next offset to fold, and open holes."""

    def __init__(self, topics: Iterable[str], seek: Seek, clock: Callable[[], float] = time.monotonic):
        self.topics = frozenset(topics)
        self.seek, self.clock = seek, clock
        self.next: dict[Key, int] = {}
        # Admitted into a batch, not folded yet: the next offset to admit.
        self.taken: dict[Key, int] = {}
        self.sought: dict[Key, float] = {}  # partitions with a hole -> when last sought back
        self.committed: dict[Key, int] = {}
        self.on_reset: Callable[[], None] = lambda: None

    def reset(self, starts: Mapping[Key, int]) -> None:
        """A new assignment: each partition resumes at its committed offset
        (or its first record, if never committed)."""
        self.on_reset()
        self.next = {key: offset for key, offset in starts.items() if key[0] in self.topics}
        self.taken.clear()
        self.committed = dict(self.next)
        self.sought.clear()

    async def admit(self, topic: str, partition: int, offset: int) -> bool:
        """True if the record is the next one to fold (after those admitted
        into the batch being folded). A record of an event partition this
        worker was not given at its last assignment is never folded: a batch
        taken before a rebalance may still hold records of a partition that
        has moved to another worker, which folds them itself."""
        key = (topic, partition)
        if topic not in self.topics:
            return True
        expected = self.taken.get(key, self.next.get(key))
        if expected is None:
            return False
        if offset == expected:
            self.taken[key] = offset + 1
            return True
        if offset > expected and self.clock() - self.sought.get(key, float("-inf")) >= RESEEK:
            log.warning(
                "%s[%d]: handed offset %d while %d is the next to fold; reading again from %d",
                topic,
                partition,
                offset,
                expected,
                expected,
            )
            await self._seek_back(key, expected)
        return False

    def owns(self, partition: int) -> bool:
        """Whether the last assignment gave this worker `partition` of the
        event topics (and so its facilities' boards)."""
        return any(owned == partition for _, owned in self.next)

    def folded(self, topic: str, partition: int, offset: int) -> None:
        """The record's table writes are out: commits may pass it."""
        key = (topic, partition)
        if topic in self.topics:
            self.next[key] = offset + 1
            if self.taken.get(key) == offset + 1:
                del self.taken[key]
            self.sought.pop(key, None)

    async def recheck(self) -> None:
        """Seek again where a hole is still open (the records fetched after the
        seek may have been dropped as well)."""
        now = self.clock()
        for key, at in list(self.sought.items()):
            if now - at >= RESEEK and key in self.next:
                await self._seek_back(key, self.next[key])

    def clamp(self, offsets: Mapping[Any, int]) -> dict[Any, int]:
        """The commits to make of `offsets` (faust TPs): none past the next
        offset to fold, none that would not move a partition forward."""
        allowed: dict[Any, int] = {}
        for tp, offset in offsets.items():
            key = (tp.topic, tp.partition)
            if key in self.next:
                offset = min(offset, self.next[key])
                if offset <= self.committed.get(key, -1):
                    continue
            allowed[tp] = offset
        return allowed

    def on_committed(self, offsets: Mapping[Any, int]) -> None:
        for tp, offset in offsets.items():
            key = (tp.topic, tp.partition)
            if key in self.next:
                self.committed[key] = offset

    async def _seek_back(self, key: Key, offset: int) -> None:
        self.sought[key] = self.clock()
        await self.seek(key[0], key[1], offset)


def install(app: Any, topics: Iterable[str]) -> OffsetGuard:
    """An `OffsetGuard` for `app`'s event topics. Its first `reset` (the first
    assignment, before any record is folded) clamps the consumer's commits;
    nothing is created or connected before."""
    from faust.types import TP

    async def seek(topic: str, partition: int, offset: int) -> None:
        tp = TP(topic, partition)
        if tp in app.consumer.assignment():  # a partition being revoked is left to its next owner
            await app.consumer.seek(tp, offset)

    guard = OffsetGuard(topics, seek)

    def clamp_commits() -> None:
        consumer = app.consumer
        commit = consumer._commit

        async def clamped_commit(offsets: Mapping[Any, int]) -> bool:
            allowed = guard.clamp(offsets)
            if not allowed:
                return False
            done = bool(await commit(allowed))
            if done:
                guard.on_committed(allowed)
            return done

        consumer._commit = clamped_commit
        guard.on_reset = lambda: None

    guard.on_reset = clamp_commits
    return guard
