"""What the fault harness checks once the faults are over and the traffic
has stopped:

- every event the API acknowledged is in the event store exactly once, and
  on the event topics (read with a plain consumer; repeats of an event id,
  which consumers drop, are counted);
- each server's live board equals a replay of the store
  (`projections.replay`, the fold `edflow replay` runs), and so does the
  board the long-lived client holds;
- the board client saw no sequence gap that a snapshot did not heal."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import msgspec
from aiokafka.structs import TopicPartition

from base import kafka_clients
from base.settings import Settings
from deploy.chaos.board_watch import Board, BoardRecord, board_of, fresh_snapshot
from events.board import EncounterValue
from events.envelope import decode


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def store_counts(settings: Settings) -> Counter[str]:
    from deploy.bootstrap import hospital
    from projections.replay import store_envelopes

    app = hospital(settings)
    try:
        return Counter(str(e.event_id) for e in store_envelopes(app))
    finally:
        app.close()


async def topic_counts(settings: Settings) -> Counter[str]:
    """Every event id on the event topics, from the start to the current end."""
    consumer = kafka_clients.consumer(settings, group_id=None)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in settings.topics.event_topics
            for p in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        counts: Counter[str] = Counter()
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                counts.update(str(decode(r.value).event_id) for r in records)
        return counts
    finally:
        await consumer.stop()


async def _partitions(consumer: Any, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def replayed_board(settings: Settings, facility: str) -> Board:
    """The board `edflow replay` rebuilds from the store, as of the last event."""
    from deploy.bootstrap import hospital
    from projections import fold
    from projections.profile import facility_profiles
    from projections.replay import Replay, store_envelopes

    profile_for = facility_profiles(settings)
    replay = Replay(profile_for=profile_for)
    app = hospital(settings)
    try:
        for envelope in store_envelopes(app):
            replay.feed(envelope)
    finally:
        app.close()
    _, entries = replay.entries_of(facility)
    return {(c.kind, c.id): c.value for c in fold.board_snapshot(entries, profile_for(facility)) if c.value is not None}


def comparable(board: Board) -> Board:
    """A board without what depends on the clock a message was evaluated at:
    a waiting visit's over-target flag, and the capacity and flow metrics
    (a delta evaluates them at its own event's time, a snapshot at the last
    event's); everything that the events themselves decide is kept."""
    kept: Board = {}
    for key, value in board.items():
        if key[0] in ("capacity", "metrics"):
            continue
        kept[key] = msgspec.structs.replace(value, over_target=False) if isinstance(value, EncounterValue) else value
    return kept


def differences(got: Board, expected: Board, limit: int = 3) -> str:
    """How many entities differ, and in what (field names and values of the
    first: board values carry initials and complaints, never names)."""
    keys = sorted(k for k in got.keys() | expected.keys() if got.get(k) != expected.get(k))
    shown = "; ".join(f"{kind} {ident[:8]}: {_fields(got.get((kind, ident)), expected.get((kind, ident)))}"
                      for kind, ident in keys[:limit])  # fmt: skip
    return f"{len(keys)} entities differ ({shown}{'; ...' if len(keys) > limit else ''})"


def _fields(got: Any, expected: Any) -> str:
    if got is None or expected is None:
        return "only in the replay" if got is None else "not in the replay"
    mine, theirs = msgspec.structs.asdict(got), msgspec.structs.asdict(expected)
    return ", ".join(f"{f} {mine[f]!r} vs replay {theirs[f]!r}" for f in mine if mine[f] != theirs.get(f))


def acknowledged_checks(acked: dict[str, str], stored: Counter[str], published: Counter[str]) -> list[Check]:
    missing_store = [e for e in acked if stored[e] == 0]
    doubled_store = [e for e in acked if stored[e] > 1]
    missing_topics = [e for e in stored if published[e] == 0]
    strays = [e for e in published if stored[e] == 0]
    repeats = sum(n - 1 for n in published.values() if n > 1)
    return [
        Check(
            "acknowledged events in the store once",
            not missing_store and not doubled_store and bool(acked),
            f"{len(acked)} acknowledged; {len(missing_store)} missing, {len(doubled_store)} stored twice",
        ),
        Check(
            "store events on the topics",
            not missing_topics and not strays,
            f"{len(stored)} stored, {len(published)} distinct on the topics; {len(missing_topics)} missing, "
            f"{len(strays)} not in the store; {repeats} repeats dropped by event id",
        ),
    ]


def board_checks(
    settings: Settings, facility: str, urls: dict[str, str], token: str, origin: str, client: BoardRecord, wait: float
) -> list[Check]:
    """Each live board against the replay; polled for up to `wait` seconds,
    since the last events may still be on their way to the boards."""
    expected = comparable(replayed_board(settings, facility))
    deadline, boards = time.monotonic() + wait, {}
    while True:
        for name, url in urls.items():
            frame = asyncio.run(fresh_snapshot(url, facility, token, origin))
            boards[name] = comparable(board_of(frame)) if frame else None
        boards["client"] = comparable(client.entities)
        if all(b == expected for b in boards.values()) or time.monotonic() > deadline:
            break
        time.sleep(2)
        expected = comparable(replayed_board(settings, facility))
    checks = []
    for name, board in boards.items():
        label = "the board client" if name == "client" else name
        if board is None:
            checks.append(Check(f"live board of {label} = replay", False, "no snapshot from the server"))
        else:
            same = board == expected
            detail = f"{len(expected)} entities equal" if same else differences(board, expected)
            checks.append(Check(f"live board of {label} = replay", same, detail))
    return checks


def gap_check(record: BoardRecord) -> Check:
    unhealed = [g for g in record.gaps if g.healed_at is None]
    healing = [g.healed_at - g.at for g in record.gaps if g.healed_at is not None]
    detail = (
        f"{len(record.frames)} frames over {record.connects} connections; {len(record.gaps)} gaps, "
        f"{len(unhealed)} unhealed" + (f"; slowest healed in {max(healing):.1f} s" if healing else "")
    )
    return Check("every board gap healed by a snapshot", not unhealed and bool(record.frames), detail)
