"""`edflow token` and `edflow serve`, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from base.auth import Principal, verify_token
from base.settings import Settings
from deploy.cli import main
from tests.services.api.live_server import free_port


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("EDFLOW_JWT_SECRET", raising=False)
    return tmp_path


def test_token_prints_a_token_the_server_accepts(data_dir: Path, capsys):
    assert main(["token", "--sub", "alice", "--role", "charge-nurse", "--facility", "demo", "--facility", "north"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(Settings(data_dir=data_dir), token) == Principal("alice", "charge-nurse", ("demo", "north"))


def test_token_with_an_unknown_role_is_a_one_line_error(data_dir: Path, capsys):
    assert main(["token", "--sub", "alice", "--role", "nurse", "--facility", "demo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "unknown role 'nurse'" in captured.err


def test_token_with_a_non_positive_ttl_is_a_one_line_error(data_dir: Path, capsys):
    assert main(["token", "--sub", "a", "--role", "admin", "--facility", "*", "--ttl", "0"]) == 2
    assert "ttl_seconds must be positive" in capsys.readouterr().err


def test_serve_answers_commands_and_docs_then_stops(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "EDFLOW_DATA_DIR": str(tmp_path), "EDFLOW_JWT_SECRET": "s" * 40, "EDFLOW_API_DOCS": "true"}
    token = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "token", "--sub", "ops", "--role", "admin", "--facility", "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "serve", "--port", str(port), "--log-level", "warning"], env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                docs = httpx.get(f"{base}/docs")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "edflow serve did not start"
                time.sleep(0.1)
        assert docs.status_code == 200
        described = httpx.get(f"{base}/openapi.json", headers={"Authorization": f"Bearer {token}"})
        assert described.status_code == 200 and "/api/v1/facilities/{facility_id}/beds" in described.json()["paths"]
        created = httpx.post(
            f"{base}/api/v1/facilities/demo/beds",
            json={"bed_id": "B1", "unit": "ED"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_serve_on_a_taken_port_is_a_one_line_error(data_dir: Path, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["serve", "--port", str(taken.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
