"""Two `edflow serve` processes on one PostgreSQL store: fifty nurses split
across them race for one bed and exactly one wins; a keyed command sent to
both at once, and retried on either, is recorded once and answered alike."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from base.auth import mint_token
from base.settings import Settings
from events.catalogue import Person
from services.hospital import Hospital
from tests.conftest import Clock
from tests.deploy.servers import ORIGIN, SECRET, two_servers
from tests.services.api.test_bed_race import facts_in_store

pytestmark = pytest.mark.postgres
FACILITY = "fac-1"
BASE = f"/api/v1/facilities/{FACILITY}"
CONTENDERS = 50


@pytest.fixture
def store_settings(tmp_path: Path, fresh_postgres_dsn: str, kafka_bootstrap: str, topic_prefix: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "home",
        event_store="postgres",
        postgres_dsn=fresh_postgres_dsn,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        jwt_secret=SECRET,
        allowed_origins=[ORIGIN],
    )


def test_fifty_nurses_across_two_servers_race_for_one_bed_and_one_wins(store_settings, tmp_path):
    hospital = Hospital(store_settings)
    clock = Clock()
    try:
        hospital.register_bed(clock.meta(FACILITY), "ED-1", "ED-A")
        visits = [hospital.arrive(clock.meta(FACILITY), f"V{n}", Person(sex="U")).id for n in range(CONTENDERS)]
        token = mint_token(store_settings, "nurse", "charge-nurse", [FACILITY])
        start_together = threading.Barrier(CONTENDERS)
        with two_servers(store_settings, tmp_path) as servers:

            def assign(n: int) -> tuple[int, int, str]:
                server = n % len(servers)
                with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
                    start_together.wait(timeout=60)
                    url = f"{servers[server].url}{BASE}/encounters/{visits[n]}/bed"
                    response = client.post(url, json={"bed_id": "ED-1"})
                    return server, response.status_code, response.json().get("error", {}).get("code", "")

            with ThreadPoolExecutor(CONTENDERS) as pool:
                results = list(pool.map(assign, range(CONTENDERS)))
        outcomes = Counter((status, code) for _, status, code in results)
        stored = facts_in_store(hospital)
    finally:
        hospital.close()

    assert outcomes == Counter({(200, ""): 1, (409, "bed_not_available"): CONTENDERS - 1}), outcomes
    assert {server for server, status, _ in results if status == 409} == {0, 1}, "both servers took part"
    assert (stored["BedAssigned"], stored["BedOccupied"]) == (1, 1)


def test_a_keyed_command_sent_to_both_servers_is_recorded_once_and_answered_alike(store_settings, tmp_path):
    hospital = Hospital(store_settings)
    clock = Clock()
    try:
        visit = hospital.arrive(clock.meta(FACILITY), "V1", Person(sex="U")).id
        token = mint_token(store_settings, "nurse", "charge-nurse", [FACILITY])
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "triage-V1"}
        senders = 10
        start_together = threading.Barrier(senders)
        with two_servers(store_settings, tmp_path) as servers:

            def triage(n: int, esi: int = 2, together: bool = True) -> httpx.Response:
                with httpx.Client(headers=headers, timeout=60) as client:
                    if together:
                        start_together.wait(timeout=60)
                    url = f"{servers[n % len(servers)].url}{BASE}/encounters/{visit}/triage"
                    return client.post(url, json={"esi": esi})

            with ThreadPoolExecutor(senders) as pool:
                at_once = list(pool.map(triage, range(senders)))
            retries = [triage(n, together=False) for n in range(2)]
            reused = triage(1, esi=4, together=False)
        stored = facts_in_store(hospital)
    finally:
        hospital.close()

    answers = {(r.status_code, r.text) for r in at_once + retries}
    assert len(answers) == 1 and next(iter(answers))[0] == 200, answers
    assert stored["PatientTriaged"] == 1
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "idempotency_key_reused")
