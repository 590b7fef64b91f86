"""TLS for HTTP when configured: the API answers over HTTPS only."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.cli import main
from tests.services.api.live_server import free_port
from tests.services.hl7.test_mllp_tls import self_signed


def test_serve_over_tls_answers_https_and_refuses_plain_http(tmp_path: Path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "EDFLOW_DATA_DIR": str(tmp_path),
        "EDFLOW_HTTP_TLS_CERTFILE": str(cert),
        "EDFLOW_HTTP_TLS_KEYFILE": str(key),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "serve", "--port", str(port), "--log-level", "warning"], env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(
                    f"https://127.0.0.1:{port}/board/static/board.css",
                    verify=ssl.create_default_context(cafile=str(cert)),
                )
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "edflow serve did not start"
                time.sleep(0.1)
        assert page.status_code == 200
        try:
            plain = httpx.get(f"http://127.0.0.1:{port}/board/static/board.css", timeout=5).status_code
        except httpx.TransportError:
            plain = None
        assert plain is None or plain >= 400
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_half_a_tls_configuration_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys):
    cert, _ = self_signed(tmp_path)
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDFLOW_HTTP_TLS_CERTFILE", str(cert))
    assert main(["serve", "--port", str(free_port())]) == 2
    assert "EDFLOW_HTTP_TLS_KEYFILE" in capsys.readouterr().err
