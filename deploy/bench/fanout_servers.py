"""The two servers `bench_fanout.py` compares, each run as its own process
so its CPU time can be read, and the delta they both send.

    python deploy/bench/fanout_servers.py edflow PORT TOPIC_PREFIX
    python deploy/bench/fanout_servers.py bare PORT CLIENTS RATE SECONDS
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from base.settings import Settings  # noqa: E402
from events.board import (  # noqa: E402
    BedChange,
    BedValue,
    CapacityChange,
    CapacityValue,
    EncounterChange,
    EncounterValue,
    EntityChange,
    Nedocs,
    NedocsInputs,
)

ORIGIN = "http://bench.local"
SECRET = "bench-" + "0" * 40
FACILITY = "demo"


def delta_changes(seq: int) -> list[EntityChange]:
    """About 1 kB: an encounter roomed, its bed, the capacity panel."""
    encounter = EncounterValue(
        initials="JD",
        age_years=47,
        sex="F",
        chief_complaint="chest pain",
        esi=2,
        arrival_mode="ambulance",
        arrived_at="2026-03-02T08:00:00+00:00",
        triaged_at=None,
        provider_id=None,
        provider_at=None,
        bed_id=f"A{seq % 12}",
        unit="acute-a",
        roomed_at="2026-03-02T08:20:00+00:00",
        admit_decided_at=None,
        status="roomed",
        over_target=False,
        wait_target_minutes=10,
    )
    bed = BedValue(
        unit="acute-a",
        bed_type="acute",
        label="Acute A",
        status="occupied",
        encounter_id=f"enc-{seq % 40}",
        since="2026-03-02T08:20:00+00:00",
        reason=None,
    )
    inputs = NedocsInputs(
        ed_patients=30 + seq % 7,
        ed_beds=46,
        admitted_boarders=3,
        inpatient_beds=300,
        ventilated=0,
        longest_boarding_hours=3.167,
        last_bedded_wait_hours=0.333,
    )
    capacity = CapacityValue(
        census=30 + seq % 7,
        beds_total=46,
        beds_occupied=28,
        beds_available=12,
        beds_dirty=4,
        beds_blocked=2,
        waiting=9,
        untriaged=1,
        boarders=3,
        longest_boarding_minutes=190.0,
        nedocs=Nedocs(score=None, band="unknown", variant="bench", inputs=inputs),
    )
    return [
        EncounterChange(id=f"enc-{seq % 40}", value=encounter),
        BedChange(id=f"A{seq % 12}", value=bed),
        CapacityChange(id="ed", value=capacity),
    ]


def sent_at(sent: float) -> datetime:
    """A delta carries the time it was sent as its `as_of`, to the microsecond."""
    return datetime.fromtimestamp(sent, UTC)


def sent_times(raw: bytes) -> list[float]:
    """When each delta a frame carries was sent: one for a `delta`, one per
    delta of a `deltas` frame (a tick's deltas together), none for others."""
    frame = msgspec.json.decode(raw)
    deltas = frame.get("deltas", []) if frame.get("type") == "deltas" else [frame]
    return [
        datetime.fromisoformat(d["as_of"]).timestamp()
        for d in deltas
        if d.get("type") == "delta" and d.get("as_of") is not None
    ]


def serve_edflow(port: int, prefix: str) -> None:
    import uvicorn
    from fastapi import FastAPI

    from dashboard.app import attach
    from deploy.commands.serve import PER_MESSAGE_DEFLATE

    settings = Settings(topic_prefix=prefix, jwt_secret=SECRET, allowed_origins=[ORIGIN])
    app = FastAPI()
    attach(app, settings)
    # As `edflow serve` runs it.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=PER_MESSAGE_DEFLATE)


def serve_bare(port: int, clients: int, rate: float, seconds: float) -> None:
    from websockets.asyncio.server import broadcast, serve

    async def main() -> None:
        connected: set = set()
        everyone = asyncio.Event()

        async def handler(ws) -> None:
            connected.add(ws)
            if len(connected) >= clients:
                everyone.set()
            try:
                await ws.wait_closed()
            finally:
                connected.discard(ws)

        async with serve(handler, "127.0.0.1", port, max_queue=None):
            await everyone.wait()
            await asyncio.sleep(0.5)
            start = time.perf_counter()
            for seq in range(1, int(rate * seconds) + 1):
                await asyncio.sleep(max(0.0, start + seq / rate - time.perf_counter()))
                frame = {
                    "type": "delta",
                    "facility": FACILITY,
                    "seq": seq,
                    "epoch": "0:0",
                    "as_of": sent_at(time.time()),
                    "changes": delta_changes(seq),
                }
                broadcast(connected, msgspec.json.encode(frame))
            await asyncio.sleep(3600)

    asyncio.run(main())


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    if kind == "edflow":
        serve_edflow(int(rest[0]), rest[1])
    else:
        serve_bare(int(rest[0]), int(rest[1]), float(rest[2]), float(rest[3]))
