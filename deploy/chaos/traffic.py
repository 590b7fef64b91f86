"""Steady command traffic for the fault harness: the ED simulator
(`deploy.simulator`) in a thread, through a client that fails over between
the API servers, sends every command with an Idempotency-Key (so a retry
after a lost answer is recorded once) and remembers, client-side, every
event the API acknowledged and every failed attempt."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from deploy.simulator.client import ApiUnavailable, CommandClient, Reply


class TrafficStopped(Exception):
    """Raised inside the simulator's thread to end it."""


@dataclass
class Ledger:
    """What the client saw: acknowledged events and every attempt's outcome."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # event id -> idempotency key
    commands: int = 0  # commands answered 2xx
    attempts: list[tuple[float, bool]] = field(default_factory=list)  # (monotonic time, failed)

    def error_rate(self, start: float, end: float) -> tuple[int, int]:
        """(failed, all) attempts in [start, end)."""
        inside = [failed for at, failed in self.attempts if start <= at < end]
        return sum(inside), len(inside)


class FailoverClient(CommandClient):
    """The simulator's client, spread over several servers as a load balancer would:
    a connection error or a 5xx moves to the next server and tries again (same key)."""

    def __init__(
        self, urls: list[str], facility_id: str, tokens: Mapping[str, str], ledger: Ledger, give_up: float = 120.0
    ):
        super().__init__(urls[0], facility_id, tokens, timeout=10.0)
        self._clients = [httpx.Client(base_url=url.rstrip("/"), timeout=10.0) for url in urls]
        self._current = 0
        self._key: str | None = None
        self.ledger, self.give_up = ledger, give_up
        self.stopping = threading.Event()

    def close(self) -> None:
        super().close()
        for client in self._clients:
            client.close()

    def send(self, role: str, method: str, path: str, body: dict[str, Any]) -> Reply:
        self._key = uuid.uuid4().hex
        try:
            reply = super().send(role, method, path, body)
        finally:
            key, self._key = self._key, None
        if reply.ok:
            self.ledger.commands += 1
            for event in reply.body.get("events", []):
                if isinstance(event, dict) and event.get("event_id"):
                    self.ledger.acknowledged[str(event["event_id"])] = key
        return reply

    def _request(self, method: str, role: str, path: str, body: dict[str, Any] | None) -> Reply:
        headers = {"Authorization": f"Bearer {self._tokens[role]}"}
        if self._key is not None:
            headers["Idempotency-Key"] = self._key
        deadline = time.monotonic() + self.give_up
        while True:
            if self.stopping.is_set():
                raise TrafficStopped
            client = self._clients[self._current]
            try:
                response = client.request(method, self._prefix + path, json=body, headers=headers)
            except httpx.TransportError:
                response = None
            failed = response is None or response.status_code >= 500
            self.ledger.attempts.append((time.monotonic(), failed))
            if response is not None and not failed:
                break
            if time.monotonic() > deadline:
                raise ApiUnavailable(f"no server answered for {self.give_up:g} s")
            self._current = (self._current + 1) % len(self._clients)
            time.sleep(0.1)
        try:
            parsed = response.json()
        except ValueError:
            parsed = {}
        return Reply(response.status_code, parsed if isinstance(parsed, dict) else {})


class Traffic:
    """The simulator running in a thread until `stop()`."""

    def __init__(self, settings: Any, urls: list[str], speed: float, seed: int, planned_seconds: float):
        from base.facility import load_facility
        from deploy.commands.simulate import SimulatorTokens
        from deploy.simulator.department import SimulationPlan, Simulator

        facility = load_facility(settings.facility_config)
        self.facility_id = facility.id
        self.ledger = Ledger()
        self.client = FailoverClient(urls, facility.id, SimulatorTokens(settings, facility.id), self.ledger)
        # Played into the past (the simulated clock never passes the wall
        # clock), far enough back that it stays paced at `speed` throughout.
        history = timedelta(seconds=planned_seconds * speed * 1.5 + 3600)
        start = datetime.now(UTC).replace(microsecond=0) - history
        plan = SimulationPlan(facility=facility, start=start, speed=speed, seed=seed, status_every=3600)
        self.simulator = Simulator(plan, self.client, out=lambda line: None)
        self.simulator.sleep = self._sleep
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="chaos-traffic", daemon=True)

    def _sleep(self, seconds: float) -> None:
        if self.client.stopping.wait(seconds):
            raise TrafficStopped

    def _run(self) -> None:
        try:
            self.simulator.run()
        except TrafficStopped:
            pass
        except BaseException as error:  # reported by the harness
            self.error = error

    def start(self) -> Traffic:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self.client.stopping.set()
        self._thread.join(timeout=30)
        self.client.close()
