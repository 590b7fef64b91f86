"""`edflow serve` as real processes: two of them on their own ports over one
event store and one broker, as a site runs them behind a load balancer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from base.settings import Settings

EDFLOW = str(Path(sys.executable).parent / "edflow")
ORIGIN = "http://board.test"
SECRET = "several-servers-test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    env.update(
        EDFLOW_DATA_DIR=str(settings.data_dir),
        EDFLOW_EVENT_STORE=settings.event_store,
        EDFLOW_POSTGRES_DSN=settings.postgres_dsn,
        EDFLOW_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        EDFLOW_TOPIC_PREFIX=settings.topic_prefix,
        EDFLOW_JWT_SECRET=settings.jwt_secret,
        EDFLOW_ALLOWED_ORIGINS=json.dumps(settings.allowed_origins),
    )
    return env


@dataclass
class ServeProcess:
    port: int
    log: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_serve(settings: Settings, log: Path, timeout: float = 60.0) -> ServeProcess:
    port = free_port()
    process = subprocess.Popen(
        [EDFLOW, "serve", "--port", str(port), "--log-level", "warning"],
        env=server_environment(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = ServeProcess(port, log, process)
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"edflow serve exited ({process.returncode}):\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"{server.url}/board/static/board.css", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"edflow serve did not answer on port {port}:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


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
