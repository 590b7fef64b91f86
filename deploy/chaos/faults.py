"""The faults the harness injects, in turn, and what each one did: a broker
killed (SIGKILL) and started again, the publishing relay killed and started
again (it comes back as the standby), a projection worker killed and
restarted, a server killed and restarted on its port, and a broker paused
(SIGSTOP) past its session timeout and resumed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import cycle

from deploy.chaos.site import Site

# broker.session.timeout.ms of deploy/kafka.sh's cluster is 4 s.
SESSION_TIMEOUT = 4.0
KINDS = ("broker", "relay", "worker", "board-server", "api-server", "broker-pause")
FULL_COUNTS = {"broker": 3, "relay": 3, "worker": 5, "board-server": 1, "api-server": 1, "broker-pause": 1}


@dataclass
class Fault:
    kind: str
    target: str = ""
    started: float = 0.0  # monotonic: when the fault was injected
    restored: float = 0.0  # when the victim was started (or resumed) again
    ended: float = 0.0  # when the next fault began (or the run ended)
    notes: list[str] = field(default_factory=list)


def schedule(counts: dict[str, int]) -> list[str]:
    """Every kind in turn (broker, relay, worker, ...) until each has had its count."""
    left, order = dict(counts), []
    while any(left.values()):
        for kind in KINDS:
            if left.get(kind, 0) > 0:
                order.append(kind)
                left[kind] -= 1
    return order


class Injector:
    def __init__(self, site: Site, down: float):
        self.site, self.down = site, down
        self._nodes = cycle(range(1, 4))
        self._workers = cycle(range(2))

    def inject(self, kind: str) -> Fault:
        fault = Fault(kind)
        action: Callable[[Fault], None] = {
            "broker": self._broker,
            "relay": self._relay,
            "worker": self._worker,
            "board-server": lambda f: self._server(f, 1),
            "api-server": lambda f: self._server(f, 0),
            "broker-pause": self._pause,
        }[kind]
        action(fault)
        return fault

    def _broker(self, fault: Fault) -> None:
        assert self.site.cluster is not None
        node = next(self._nodes)
        fault.target, fault.started = f"node {node}", time.monotonic()
        self.site.cluster.kill_node(node)
        time.sleep(self.down)
        self.site.cluster.start_node(node)
        fault.restored = time.monotonic()

    def _relay(self, fault: Fault) -> None:
        site = self.site
        active = site.active_relay()
        if active is None:
            site.wait_for(lambda: site.active_relay() is not None, 30, "relay holding the lock")
            active = site.active_relay()
        assert active is not None
        fault.target, fault.started = active.name, time.monotonic()
        active.kill()
        took = site.wait_for(lambda: site.active_relay() is not None, 60, "standby relay taking over")
        fault.notes.append(f"standby took over in {took:.1f} s")
        site.start_relay(active)
        fault.restored = time.monotonic()

    def _worker(self, fault: Fault) -> None:
        worker = self.site.workers[next(self._workers)]
        fault.target, fault.started = worker.name, time.monotonic()
        worker.kill()
        time.sleep(self.down)
        worker.start()
        fault.restored = time.monotonic()

    def _server(self, fault: Fault, index: int) -> None:
        server = self.site.servers[index]
        fault.target, fault.started = server.name, time.monotonic()
        server.kill()
        time.sleep(self.down)
        self.site.wait_for(lambda: _restarted(server), 60, f"{server.name} listening again")
        fault.restored = time.monotonic()

    def _pause(self, fault: Fault) -> None:
        assert self.site.cluster is not None
        node = next(self._nodes)
        fault.target, fault.started = f"node {node}", time.monotonic()
        self.site.cluster.pause_node(node)
        time.sleep(SESSION_TIMEOUT + max(self.down, 2.0))
        self.site.cluster.resume_node(node)
        fault.restored = time.monotonic()


def _restarted(server) -> bool:
    """Start the server again (its port may take a moment to be free); True once it answers."""
    if not server.running:
        server.start()
    try:
        server.wait_ready(timeout=20)
        return True
    except RuntimeError:
        return False


__all__ = ["FULL_COUNTS", "KINDS", "Fault", "Injector", "schedule"]
