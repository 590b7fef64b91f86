"""Fifty nurses, one bed: over real HTTP to a real server, exactly one
assignment wins, the other 49 get 409, and the store holds one pair."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from base.auth import mint_token
from base.settings import Settings
from base.store_log import to_envelope
from events.catalogue import Person
from services.api.app import create_app
from services.hospital import Hospital
from tests.conftest import Clock
from tests.services.api.conftest import BASE, with_secret
from tests.services.api.live_server import running_server

CONTENDERS = 50


def facts_in_store(hospital: Hospital) -> Counter[str]:
    seen: Counter[str] = Counter()
    start = 1
    while batch := hospital.recorder.select_notifications(start=start, limit=500):
        for notification in batch:
            envelope = to_envelope(notification, hospital.mapper.to_domain_event(notification))
            if envelope is not None:
                seen[envelope.type] += 1
        start = batch[-1].id + 1
    return seen


def test_fifty_concurrent_assignments_of_one_bed_have_exactly_one_winner(settings: Settings):
    settings = with_secret(settings)
    hospital = Hospital(settings)
    clock = Clock()
    hospital.register_bed(clock.meta("fac-1"), "ED-1", "ED-A")
    visits = [hospital.arrive(clock.meta("fac-1"), f"V{n}", Person(sex="U")).id for n in range(CONTENDERS)]
    token = mint_token(settings, "nurse", "charge-nurse", ["fac-1"])
    start_together = threading.Barrier(CONTENDERS)

    def assign(visit: str) -> tuple[int, str]:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            start_together.wait(timeout=60)
            response = client.post(f"{base}{BASE}/encounters/{visit}/bed", json={"bed_id": "ED-1"})
            return response.status_code, response.json().get("error", {}).get("code", "")

    saved_before = hospital.group_commit.saves
    try:
        with running_server(create_app(settings, hospital)) as base:
            with ThreadPoolExecutor(CONTENDERS) as pool:
                statuses = Counter(pool.map(assign, visits))
        assert statuses == Counter({(200, ""): 1, (409, "bed_not_available"): CONTENDERS - 1})
        stored = facts_in_store(hospital)
        assert (stored["BedAssigned"], stored["BedOccupied"]) == (1, 1)
        # All fifty went through group commit; only the winner's save was stored.
        assert hospital.group_commit.saves - saved_before == 1
    finally:
        hospital.close()
