"""A demo department behind a real API server: the demo hospital's beds
registered in a fresh SQLite store, uvicorn on a free port in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from base.auth import mint_token
from base.facility import Facility, load_facility
from base.settings import Settings
from base.store_log import to_envelope
from deploy.commands.facility import load_beds
from deploy.simulator.client import CommandClient
from deploy.simulator.department import SimulationPlan, Simulator
from events.envelope import Envelope
from services.api.app import create_app
from services.hospital import Hospital

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "facilities" / "demo.toml"
ROLES = ("intake", "charge-nurse", "provider", "scheduler", "bed-manager")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Department:
    settings: Settings
    hospital: Hospital
    facility: Facility
    url: str

    def client(self) -> CommandClient:
        tokens = {role: mint_token(self.settings, f"simulator-{role}", role, [self.facility.id]) for role in ROLES}
        return CommandClient(self.url, self.facility.id, tokens)

    def simulator(
        self,
        start: datetime,
        duration: timedelta,
        seed: int = 1,
        speed: float = 0,
        leftover_visits: tuple[str, ...] = (),
    ) -> Simulator:
        plan = SimulationPlan(
            self.facility, start, duration, speed=speed, seed=seed, status_every=3600, leftover_visits=leftover_visits
        )
        return Simulator(plan, self.client(), out=lambda line: None)

    def envelopes(self) -> list[Envelope]:
        """Every published event in the store, in order."""
        found = []
        for notification in self.hospital.recorder.select_notifications(start=1, limit=1_000_000):
            envelope = to_envelope(notification, self.hospital.mapper.to_domain_event(notification))
            if envelope is not None:
                found.append(envelope)
        return found


@pytest.fixture
def new_department(tmp_path_factory) -> Iterator:
    """Call it to get a fresh department; every server stops after the test."""
    servers: list[tuple[uvicorn.Server, threading.Thread, Hospital]] = []

    def start(load_facility_beds: bool = True) -> Department:
        settings = Settings(data_dir=tmp_path_factory.mktemp("department"), event_store="sqlite")
        facility = load_facility(DEMO)
        hospital = Hospital(settings)
        if load_facility_beds:
            load_beds(hospital, facility, progress=False)
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings, hospital), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread, hospital))
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return Department(settings, hospital, facility, f"http://127.0.0.1:{port}")

    yield start
    for server, thread, hospital in servers:
        server.should_exit = True
        thread.join(timeout=10)
        hospital.close()
