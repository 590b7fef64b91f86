"""`GET /board/replay`: the board as it stood at an instant, for auditors.

Runs the same replay as `edflow replay` (the projection worker's fold over
the event store, every time-dependent figure evaluated at the instant) and
answers the board view plus its entities (for the live board's own panels),
the neighbouring events on the chosen time axis (to step), and the events
whose recorded time differs from their occurred time (late documentation,
corrections), so a page can mark where the two axes part. Every call is an
audited read: it is on the access log before the history is read.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
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

ROUTE = "board.replay"
# Recorded this much after it happened: documented late, and marked.
LATE = timedelta(minutes=2)
MARKS = 200  # the newest marks up to the instant
CORRECTIONS = (ArrivalCancelled, DischargeCancelled, PatientDetailsUpdated)
bearer = HTTPBearer(auto_error=False)


class Axis:
    """One pass over the facility's events: the neighbours of `at` on the
    chosen axis, the span of history, and the marks up to `at`."""

    def __init__(self, facility: str, at: datetime, by: str):
        self.facility, self.at, self.by = facility, at, by
        self.previous: datetime | None = None
        self.next: datetime | None = None
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.marks: list[dict[str, Any]] = []

    def see(self, envelope: Envelope) -> None:
        if envelope.facility_id != self.facility:
            return
        moment = envelope.recorded_at if self.by == "recorded" else envelope.occurred_at
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)
        if moment < self.at:
            self.previous = moment if self.previous is None else max(self.previous, moment)
        elif self.next is None or moment < self.next:
            self.next = moment
        late = envelope.recorded_at - envelope.occurred_at >= LATE
        if moment <= self.at and (late or isinstance(envelope.data, CORRECTIONS)):
            self.marks.append(
                {
                    "position": envelope.position,
                    "type": envelope.type,
                    "occurred_at": envelope.occurred_at.isoformat(),
                    "recorded_at": envelope.recorded_at.isoformat(),
                    "actor": envelope.actor.id,
                    "role": envelope.actor.role,
                    "late": late,
                    "correction": isinstance(envelope.data, CORRECTIONS),
                }
            )
            del self.marks[:-MARKS]


def replay_at(settings: Settings, hospital: Any, facility: str, at: datetime, by: Literal["recorded", "occurred"]):
    """The board of `facility` at `at`, as `edflow replay --json` prints it, and more."""
    from projections.fold import board_snapshot
    from projections.profile import facility_profiles
    from projections.replay import Replay, ReplayError, board_view, store_envelopes

    profile_for = facility_profiles(settings)
    replay = Replay(at=at, by=by, profile_for=profile_for)
    axis = Axis(facility, at, by)
    for envelope in store_envelopes(hospital):
        replay.feed(envelope)
        axis.see(envelope)
    try:
        facility_id, entries = replay.entries_of(facility)
    except ReplayError:
        facility_id, entries = facility, []
    profile = profile_for(facility_id)
    view = board_view(facility_id, entries, at, profile)
    view.update(by=by, source="store", events_read=replay.read, events_folded=replay.folded)
    view["entities"] = msgspec.to_builtins(board_snapshot(entries, profile, at=at))
    view["time_zone"] = profile.timezone
    view["events"] = {
        "previous": _iso(axis.previous),
        "next": _iso(axis.next),
        "first": _iso(axis.first),
        "last": _iso(axis.last),
        "marks": axis.marks,
    }
    return view


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def replay_router(settings: Settings, hospital: Any) -> APIRouter:
    router = APIRouter(tags=["board"])

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
        view = await asyncio.to_thread(replay_at, settings, hospital, facility, at, by)
        return JSONResponse(view, headers={"Cache-Control": "no-store"})

    return router
