"""A payer's FHIR eligibility endpoint on 127.0.0.1, for tests.

We cannot run an insurer, so this small real HTTP server (http.server in a
thread) stands in for one: it takes a POSTed CoverageEligibilityRequest and
answers as told (`answer`): the published example response (coverage in
force), the same with the coverage lapsed, an error outcome, HTTP 503, a
body that is not JSON, or no answer at all until the test ends. It keeps
every request it was sent, with its headers, for the test to read.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import FIXTURES

IN_FORCE = json.loads((FIXTURES / "fhir" / "CoverageEligibilityResponse-E2500.json").read_text())
LAPSED = copy.deepcopy(IN_FORCE)
LAPSED["insurance"][0]["inforce"] = False
LAPSED["disposition"] = "Policy terminated 2014-06-30."
ERROR = {**IN_FORCE, "outcome": "error", "error": [{"code": {"text": "member id unknown"}}]}
ANSWERS = ("in-force", "lapsed", "error", "down", "garbage", "silent")


class LocalPayer:
    def __init__(self) -> None:
        self.answer = "in-force"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.released = threading.Event()
        payer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                payer.requests.append(json.loads(self.rfile.read(length)))
                payer.headers.append({k.lower(): v for k, v in self.headers.items()})
                answer = payer.answer
                if answer == "silent":
                    payer.released.wait(60)
                    return
                if answer == "down":
                    self._send(503, b'{"resourceType": "OperationOutcome"}')
                elif answer == "garbage":
                    self._send(200, b"<html>maintenance</html>")
                else:
                    body = {"in-force": IN_FORCE, "lapsed": LAPSED, "error": ERROR}[answer]
                    self._send(200, json.dumps(body).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir/CoverageEligibilityRequest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def local_payer() -> Iterator[LocalPayer]:
    payer = LocalPayer()
    payer.thread.start()
    try:
        yield payer
    finally:
        payer.stop()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/fhir/CoverageEligibilityRequest"
