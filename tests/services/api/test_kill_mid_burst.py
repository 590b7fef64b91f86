"""`edflow serve` killed (SIGKILL) in the middle of a burst of keyed commands:
every acknowledged command is in the store, and a client retrying every
command with its key records none of them twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from base.auth import mint_token
from base.settings import Settings
from services.hospital import Hospital
from tests.services.api.live_server import free_port
from tests.services.api.test_bed_race import facts_in_store

CLIENTS, PER_CLIENT, KILL_AFTER = 8, 40, 60
SECRET = "k" * 40


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    return {
        **env,
        "EDFLOW_DATA_DIR": str(settings.data_dir),
        "EDFLOW_EVENT_STORE": settings.event_store,
        "EDFLOW_POSTGRES_DSN": settings.postgres_dsn,
        "EDFLOW_JWT_SECRET": SECRET,
    }


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=environment(settings),
        cwd=Path(__file__).resolve().parents[3],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "edflow serve did not start"
                time.sleep(0.1)
        yield server, base
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


def arrival(n: int) -> dict:
    return {"visit_number": f"K{n}", "patient": {"sex": "U"}, "occurred_at": "2026-03-02T08:00:00+00:00"}


def test_a_server_killed_mid_burst_loses_no_acknowledged_command_and_records_none_twice(settings: Settings):
    settings = settings.model_copy(update={"jwt_secret": SECRET})
    headers = {"Authorization": f"Bearer {mint_token(settings, 'feed', 'intake', ['demo'])}"}
    url = "/api/v1/facilities/demo/encounters"
    acknowledged: dict[int, dict] = {}
    sent: set[int] = set()
    lock, enough = threading.Lock(), threading.Event()

    with serving(settings) as (server, base):

        def burst(client_number: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for n in range(client_number * PER_CLIENT, (client_number + 1) * PER_CLIENT):
                    with lock:
                        sent.add(n)
                    try:
                        response = client.post(url, json=arrival(n), headers={"Idempotency-Key": f"key-{n}"})
                    except httpx.TransportError:
                        return  # the server died under this request: unanswered
                    assert response.status_code == 201, response.text
                    with lock:
                        acknowledged[n] = response.json()
                        if len(acknowledged) >= KILL_AFTER:
                            enough.set()

        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(burst, c) for c in range(CLIENTS)]
            assert enough.wait(60), "the burst never got going"
            server.send_signal(signal.SIGKILL)
            for future in running:
                future.result(60)
        assert server.wait(30) == -signal.SIGKILL

    assert KILL_AFTER <= len(acknowledged) < len(sent) <= CLIENTS * PER_CLIENT
    with serving(settings) as (_, base), httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for n in sorted(sent):
            retry = client.post(url, json=arrival(n), headers={"Idempotency-Key": f"key-{n}"})
            assert retry.status_code == 201, retry.text
            if n in acknowledged:
                assert retry.json() == acknowledged[n]  # the first outcome, not a second arrival

    app = Hospital(settings)
    try:
        assert facts_in_store(app)["PatientArrived"] == len(sent)
    finally:
        app.close()
