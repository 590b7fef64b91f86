"""The whole edflow chain as real processes: `edflow serve` (API + board),
`edflow relay` and `edflow worker`, against a fresh data dir and topic prefix.
Each process logs to <data dir>/logs/<name>.log, shown when a test fails."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

EDFLOW = [sys.executable, "-m", "deploy.cli"]
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Chain:
    def __init__(self, data_dir: Path, kafka_bootstrap: str, topic_prefix: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "EDFLOW_DATA_DIR": str(data_dir),
            "EDFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "EDFLOW_TOPIC_PREFIX": topic_prefix,
            "EDFLOW_HTTP_HOST": "127.0.0.1",
            "EDFLOW_HTTP_PORT": str(self.port),
            "EDFLOW_ALLOWED_ORIGINS": json.dumps([self.url]),
            "EDFLOW_JWT_SECRET": "e2e-" + uuid.uuid4().hex + uuid.uuid4().hex,
            "EDFLOW_WORKER_ID": f"{topic_prefix}-worker",
            "EDFLOW_WORKER_WEB_PORT": str(free_port()),
            "EDFLOW_TABLE_STORE": "memory",
            "EDFLOW_BOARD_SNAPSHOT_EVERY": "50",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def create_topics(self) -> None:
        self.run("topics", "create")
        # The worker's snapshot-request topic, if `topics create` does not plan it.
        self.run_python(
            "import asyncio\n"
            "from aiokafka.admin import NewTopic\n"
            "from base.settings import Settings\n"
            "from base import kafka_clients\n"
            "async def main():\n"
            "    s = Settings()\n"
            "    admin = kafka_clients.admin(s)\n"
            "    await admin.start()\n"
            "    try:\n"
            "        await admin.create_topics([NewTopic(s.topics.board_requests, s.topic_partitions, 1)])\n"
            "    finally:\n"
            "        await admin.close()\n"
            "asyncio.run(main())\n"
        )

    def run_python(self, code: str) -> None:
        done = subprocess.run(
            [sys.executable, "-c", code], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr

    def run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([*EDFLOW, *args], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, (
            f"edflow {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
        return done.stdout

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(
            [*EDFLOW, *args],
            env={**self.env, **(env or {})},
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def serve(self, name: str = "serve") -> str:
        """Start `edflow serve` (the first on `self.url`, another on a port
        of its own, sharing the store) and wait until it answers; its URL."""
        port = self.port if name == "serve" else free_port()
        url = f"http://127.0.0.1:{port}"
        self.start(name, "serve", "--log-level", "warning", env={"EDFLOW_HTTP_PORT": str(port)})
        deadline = time.monotonic() + 60
        while True:
            assert self.processes[name].poll() is None, f"edflow serve exited:\n{self.log(name)}"
            try:
                urllib.request.urlopen(url + "/board/static/board.css", timeout=2).close()
                return url
            except (urllib.error.URLError, ConnectionError, OSError):
                assert time.monotonic() < deadline, f"edflow serve did not answer:\n{self.log(name)}"
                time.sleep(0.2)

    def token(self, subject: str, role: str, facility: str = "demo") -> str:
        return self.run("token", "--sub", subject, "--role", role, "--facility", facility).strip().splitlines()[-1]

    def post(self, path: str, token: str, body: dict, method: str = "POST") -> dict:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=15) as response:
            return json.loads(response.read())

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"

    def all_logs(self) -> str:
        return "\n".join(f"--- {p.stem} ---\n{self.log(p.stem)}" for p in sorted(self.logs.glob("*.log")))
