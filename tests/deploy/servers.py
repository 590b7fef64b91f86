"""`edflow serve` as real processes: two of them on their own ports over one
event store and one broker, as a site runs them behind a load balancer.
The process handling lives in `deploy.chaos.processes`, which the fault
harness shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from base.settings import Settings
from deploy.chaos.processes import EDFLOW, ServeProcess, free_port, server_environment, start_serve

__all__ = [
    "EDFLOW",
    "ORIGIN",
    "SECRET",
    "ServeProcess",
    "free_port",
    "server_environment",
    "start_serve",
    "two_servers",
]

ORIGIN = "http://board.test"
SECRET = "several-servers-test-secret-0123456789abcdef"


@contextmanager
def two_servers(settings: Settings, log_dir: Path) -> Iterator[list[ServeProcess]]:
    servers: list[ServeProcess] = []
    try:
        for name in ("a", "b"):
            servers.append(start_serve(settings, log_dir / f"serve-{name}.log"))
        yield servers
    finally:
        for server in servers:
            server.stop()
