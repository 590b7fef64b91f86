"""edflow's own processes (`edflow serve`, `relay`, `worker`) started as real
subprocesses on this machine, each with its log in a file: started, killed
(SIGKILL), stopped (SIGTERM), paused and resumed by their own pids only.

Shared by the fault harness (`deploy.chaos`) and the tests that run several
processes of one kind."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import httpx

from base.settings import Settings

EDFLOW = str(Path(sys.executable).parent / "edflow")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port_block(size: int, low: int = 20_000, high: int = 60_000) -> int:
    """A first port such that it and the next `size - 1` are all free on 127.0.0.1."""
    for _ in range(50):
        first = random.randrange(low, high - size, 2)
        if ports_free(first, size):
            return first
    raise RuntimeError("no block of free ports found")


def ports_free(first: int, size: int) -> bool:
    sockets = []
    try:
        for port in range(first, first + size):
            sock = socket.socket()
            sockets.append(sock)
            # As a server binds: a port with connections in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()


def server_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """This environment without any EDFLOW_* variable, plus the ones that make
    an edflow process use `settings`."""
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
    env.update(extra)
    return env


@dataclass
class Service:
    """One edflow process: `args` after `edflow`, run with `env`, output appended to `log`."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Self:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [EDFLOW, *self.args], env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL: a crash, no clean-up."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGCONT)
                self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, chars: int = 3000) -> str:
        return self.text()[-chars:]


@dataclass
class ServeProcess(Service):
    """`edflow serve` on its own port."""

    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> Self:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f"edflow serve exited ({self.process and self.process.returncode}):\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/board/static/board.css", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"edflow serve did not answer on port {self.port}:\n{self.tail()}")
            time.sleep(0.2)


def serve_process(
    settings: Settings, log: Path, port: int | None = None, name: str = "serve", **env: str
) -> ServeProcess:
    port = port or free_port()
    args = ["serve", "--port", str(port), "--log-level", "warning"]
    return ServeProcess(name, args, server_environment(settings, **env), log, port=port)


def start_serve(settings: Settings, log: Path, timeout: float = 60.0) -> ServeProcess:
    server = serve_process(settings, log)
    server.start()
    return server.wait_ready(timeout)
