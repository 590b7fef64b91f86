"""The worker's board clock: every `board_refresh_seconds`, each board it owns
is re-evaluated at the server's clock, so waits, over-target flags, boarding
times, NEDOCS and the flow metrics move on while no event arrives.

A faust timer cannot write a table (faust takes a write's partition from the
record being processed), so the timer only asks: it sends a tick, keyed
`TICK_KEY`, on the board-requests topic to each event partition this worker
owns. The agent reads it in order with that partition's events and calls
`on_tick`, which, per facility of the partition, reads the few entries the
time-dependent figures need, compares them at the instant with what the board
shows, and publishes the ones that changed as the facility's next delta
(`LiveFold.publish_at`: the cursor takes the next seq, so numbering stays
gap-free). What each board shows is kept here from every message the worker
sends (`LiveFold.watchers`); a board not yet seen whole since this worker
started (no snapshot yet) is left for its snapshot. While the clock runs, the
snapshots asked for (at start, after a gap) are taken at its instant too.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaError

from events.board import BoardMessage
from projections import board_clock as clock
from projections.board_stream import BoardView
from projections.runtime.live_fold import LiveFold

log = logging.getLogger("edflow.worker")
# Key of a tick on the board-requests topic ("|" is in no facility id).
TICK_KEY = b"|clock"


class BoardClock:
    def __init__(self, live: LiveFold, interval: float):
        self.live, self.interval = live, interval
        self.shown: dict[str, BoardView] = {}
        self.ticked: dict[str, float] = {}  # facility -> monotonic time of its last tick
        live.watchers.append(self.saw)

    def saw(self, message: BoardMessage) -> None:
        view = self.shown.get(message.facility_id)
        if view is None:
            view = self.shown[message.facility_id] = BoardView()
            if message.seq == 1:  # a new facility's board: empty before its first message
                view.seq = 0
        view.apply(message)

    @staticmethod
    def is_tick(key: bytes | None) -> bool:
        return key == TICK_KEY

    def instant_for(self, facility_id: str, now: datetime | None = None) -> datetime:
        """The clock's instant for a facility's board (never before its last event)."""
        key = clock.clock_keys(facility_id, [], self.live.profile_for(facility_id), now or datetime.now(UTC))[0]
        return clock.instant(self.live.read([key])[key], now or datetime.now(UTC))

    def install(self, app: Any, requests: Any, event_topic: str) -> None:
        """Start the timer on `app`: ticks for the partitions of `event_topic`
        it owns; snapshots asked for (start, gaps) are then also taken at the clock."""
        if self.interval <= 0:
            return
        self.live.clock_instant = self.instant_for

        @app.timer(interval=self.interval, name="board_clock")
        async def board_clock() -> None:
            owned = sorted(tp.partition for tp in app.consumer.assignment() if tp.topic == event_topic)
            try:
                for partition in owned:
                    await requests.send(key=TICK_KEY, value=b"", partition=partition)
            except KafkaError as error:  # the next tick asks again
                log.warning("board clock could not ask for a tick: %s", error)

    async def on_tick(self, partition: int, now: datetime | None = None) -> None:
        """Re-evaluate every board of `partition` at `now` (the server's clock)."""
        now = now or datetime.now(UTC)
        for facility_id in sorted(self.live.owned_facilities({partition})[partition]):
            view = self.shown.get(facility_id)
            last = self.ticked.get(facility_id)
            # A backlog of ticks (a worker that was away) is one tick.
            if view is None or not view.in_sync or (last is not None and time.monotonic() - last < self.interval / 2):
                continue
            self.ticked[facility_id] = time.monotonic()
            profile = self.live.profile_for(facility_id)
            visits = clock.visits_shown(view.entities)
            at = self.instant_for(facility_id, now)
            keys = clock.clock_keys(facility_id, visits, profile, at)
            entities = clock.entities_at(self.live.read(keys), facility_id, visits, profile, at)
            changes = clock.changed(view.entities, entities)
            if changes:
                await self.live.publish_at(facility_id, changes, at)
                self.live.counts["clock"] += 1
