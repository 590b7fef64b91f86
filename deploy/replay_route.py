"""`GET /board/replay`: the board as it stood at an instant, for auditors.

Runs the same replay as `edflow replay` (the projection worker's fold over
the event store, every time-dependent figure evaluated at the instant),
started from the nearest snapshot of the fold (`projections.replay_index`),
and
answers the board view plus its entities (for the live board's own panels),
the neighbouring events on the chosen time axis (to step), and the events
whose recorded time differs from their occurred time (late documentation,
corrections), so a page can mark where the two axes part. Every call is an
audited read: it is on the access log before the history is read.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from bisect import bisect_left, bisect_right, insort
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from base.access import Denied, authorize
from base.http import error_response
from base.settings import Settings
from events.catalogue import ArrivalCancelled, DischargeCancelled, PatientDetailsUpdated
from events.envelope import Envelope
from services.audit.timeline_rows import LATE  # recorded this much after it happened: marked late

ROUTE = "board.replay"
MARKS = 200  # the newest marks up to the instant
FREEZE_AFTER = 1000  # events read at once, after which the history is frozen for the collector
CORRECTIONS = (ArrivalCancelled, DischargeCancelled, PatientDetailsUpdated)
bearer = HTTPBearer(auto_error=False)
log = logging.getLogger("edflow.replay")


class History:
    """The store's events as the server has read them so far: a snapshot
    index of their fold (fast replay at any instant), each facility's event
    times on both axes (to step), and its marks. Brought up to date from the
    store before each answer; one lock, as requests run in threads.

    Before each answer the store is asked for the hash-chain link at the last
    position read: the link covers every event up to it, so while it is the
    one seen when reading, the store still holds exactly the history the
    snapshots were built from. If it differs or is gone (a store restored
    from an older copy, or replaced), everything is read again from the
    start: a snapshot never shows a board the store does not support."""

    def __init__(self, settings: Settings, hospital: Any):
        from projections.profile import facility_profiles

        self.hospital = hospital
        self.profile_for = facility_profiles(settings)
        self.rebuilds = 0
        self._reset()
        self.lock = threading.Lock()

    def _reset(self) -> None:
        from projections.replay_index import ReplayIndex

        self.index = ReplayIndex(profile_for=self.profile_for)
        self.position = 0
        self.link: Any = None
        self.moments: dict[tuple[str, str], list[datetime]] = {}
        self.marks: dict[str, list[tuple[datetime, datetime, dict[str, Any]]]] = {}

    def _catch_up(self) -> None:
        from base.store_log import envelopes

        if self.position and store_mark(self.hospital, self.position) != self.link:
            log.warning("the store's history up to position %d changed: replay snapshots rebuilt", self.position)
            self.rebuilds += 1
            self._reset()

        def read_up_to(last: int) -> None:
            self.position = max(self.position, last)

        start = self.position
        fresh = list(envelopes(self.hospital, after=self.position, on_page=read_up_to))
        if self.position != start:
            self.link = store_mark(self.hospital, self.position)
        self.index.extend(fresh)
        for envelope in fresh:
            self._see(envelope)
        if len(fresh) >= FREEZE_AFTER:
            # What was just read lives as long as the server: out of the
            # collector's sight, so its full passes do not walk a year of
            # history in the middle of an answer.
            gc.freeze()

    def _see(self, envelope: Envelope) -> None:
        for axis, moment in (("recorded", envelope.recorded_at), ("occurred", envelope.occurred_at)):
            insort(self.moments.setdefault((envelope.facility_id, axis), []), moment)
        late = envelope.recorded_at - envelope.occurred_at >= LATE
        correction = isinstance(envelope.data, CORRECTIONS)
        if late or correction:
            mark = {
                "position": envelope.position,
                "type": envelope.type,
                "occurred_at": envelope.occurred_at.isoformat(),
                "recorded_at": envelope.recorded_at.isoformat(),
                "actor": envelope.actor.id,
                "role": envelope.actor.role,
                "late": late,
                "correction": correction,
            }
            self.marks.setdefault(envelope.facility_id, []).append((envelope.recorded_at, envelope.occurred_at, mark))

    def at(self, facility: str, at: datetime, by: Literal["recorded", "occurred"]) -> dict[str, Any]:
        """The board of `facility` at `at`, as `edflow replay --json` prints it, and more."""
        from projections.entries import EncounterEntry
        from projections.fold import board_snapshot
        from projections.replay import board_view

        with self.lock:
            self._catch_up()
            replay = self.index.replay(at, by)
            moments = self.moments.get((facility, by), [])
            marks = self.marks.get(facility, [])
        # The facility's entries in one pass, without the visits that left:
        # they are kept for corrections but are on no board.
        prefix = f"{facility}|" if facility in replay.facilities else None
        entries = [
            (key, e)
            for key, e in replay.table.items()
            if prefix and key.startswith(prefix) and not (isinstance(e, EncounterEntry) and e.phase != "open")
        ]
        facility_id = facility
        profile = self.profile_for(facility_id)
        view = board_view(facility_id, entries, at, profile)
        view.update(by=by, source="store", events_read=replay.read, events_folded=replay.folded)
        view["entities"] = msgspec.to_builtins(board_snapshot(entries, profile, at=at))
        view["time_zone"] = profile.timezone
        before, after = bisect_left(moments, at), bisect_right(moments, at)
        shown = [mark for recorded, occurred, mark in marks if (recorded if by == "recorded" else occurred) <= at]
        view["events"] = {
            "previous": _iso(moments[before - 1]) if before else None,
            "next": _iso(moments[after]) if after < len(moments) else None,
            "first": _iso(moments[0]) if moments else None,
            "last": _iso(moments[-1]) if moments else None,
            "marks": shown[-MARKS:],
        }
        return view


def store_mark(hospital: Any, position: int) -> Any:
    """What identifies the store's history up to `position`: its hash-chain
    link; in a store kept without the chain, only the event at `position`
    (its aggregate, version and topic). None if the store holds nothing there."""
    from services.audit.chain import link_at

    if hasattr(hospital.recorder, "chain"):
        return link_at(hospital, position)
    found = hospital.recorder.select_notifications(position, limit=1)
    if not found or found[0].id != position:
        return None
    return (found[0].originator_id, found[0].originator_version, found[0].topic)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def replay_router(settings: Settings, hospital: Any) -> APIRouter:
    router = APIRouter(tags=["board"])
    history = History(settings, hospital)

    @router.get("/board/replay", include_in_schema=False)
    async def board_replay(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        facility: Annotated[str, Query(min_length=1, max_length=64)],
        at: Annotated[datetime, Query(description="ISO 8601 instant with offset")],
        by: Annotated[Literal["recorded", "occurred"], Query()] = "recorded",
    ):
        """The board as it stood at `at` (auditors; audited)."""
        from services.audit.access import record_read

        token = credentials.credentials if credentials is not None else None
        try:
            principal = authorize(token, ROUTE, facility, settings)
        except Denied as denied:
            return error_response(denied.status, denied.code, denied.message)
        if at.tzinfo is None:
            return error_response(422, "invalid", "at needs a UTC offset, e.g. 2026-03-02T14:00:00-06:00")
        client = request.client.host if request.client else None
        await asyncio.to_thread(record_read, hospital, principal, facility, ROUTE, f"{by}@{at.isoformat()}", client)
        view = await asyncio.to_thread(history.at, facility, at, by)
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    return router
