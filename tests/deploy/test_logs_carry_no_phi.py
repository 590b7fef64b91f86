"""No patient data in any log: a planted patient goes through the real
processes (`edflow serve`, `edflow mllp`, `edflow relay`, `edflow worker`) by
HTTP commands and reads, FHIR searches by patient and by identifier, an HL7
A04 and the board WebSocket; then every log file they wrote, and their
output, is searched for the name, MRN, birth date and visit number."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin, Subprotocol

from dashboard.protocol import BEARER_PREFIX, PROTOCOL
from tests.e2e.chain import Chain, free_port
from tests.services.hl7.conftest import frame
from tests.services.hl7.messages import adt

pytestmark = pytest.mark.kafka

GIVEN, FAMILY = "Zyxwvut", "Quasimodo"
MRN, BORN, VISIT, HL7_VISIT = "MRN-PLANT-4242", "1931-07-14", "VISIT-PLANT-9191", "VISIT-PLANT-7373"
PLANTED = (GIVEN, FAMILY, GIVEN.upper(), FAMILY.upper(), MRN, BORN, BORN.replace("-", ""), VISIT, HL7_VISIT)
API = "/api/v1/facilities/demo"
FHIR = "/fhir/R4/demo"


@pytest.fixture
def chain(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Chain]:
    running = Chain(tmp_path, kafka_bootstrap, f"phi{uuid.uuid4().hex[:10]}")
    try:
        yield running
    finally:
        running.stop_all()


def get(chain: Chain, path: str, token: str) -> int:
    request = urllib.request.Request(chain.url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for_http(chain: Chain) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert chain.processes["serve"].poll() is None, chain.log("serve")
        try:
            urllib.request.urlopen(chain.url + "/board/static/board.css", timeout=2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, chain.log("serve")
            time.sleep(0.2)


def mllp_port(chain: Chain) -> int:
    deadline = time.monotonic() + 60
    while "listening on" not in chain.log("mllp"):
        assert chain.processes["mllp"].poll() is None and time.monotonic() < deadline, chain.log("mllp")
        time.sleep(0.1)
    line = next(x for x in chain.log("mllp").splitlines() if "listening on" in x)
    return int(line.rsplit(":", 1)[1].split()[0])


def send_a04(port: int) -> bytes:
    message = adt("A04", "CTRL-1", visit=HL7_VISIT, birth=BORN.replace("-", ""))
    message = message.replace("MRN1^^^H^MR||DOE^JANE", f"{MRN}^^^H^MR||{FAMILY.upper()}^{GIVEN.upper()}")
    message = message.replace("FAC1", "demo")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
        conn.sendall(frame(message.encode()))
        reply = b""
        while b"\x1c\r" not in reply:
            chunk = conn.recv(65536)
            assert chunk, "the listener closed without an ACK"
            reply += chunk
    return reply


def test_no_log_carries_the_planted_patient(chain: Chain):
    chain.env["EDFLOW_API_DOCS"] = "true"
    chain.create_topics()
    chain.start("serve", "serve", "--log-level", "info")
    chain.start("mllp", "mllp", "--port", str(free_port()), "--facility", "demo", "--processing-id", "P")
    chain.start("relay", "relay")
    chain.start("worker", "worker")
    wait_for_http(chain)
    admin, provider = chain.token("ops-1", "admin"), chain.token("dr-1", "provider")

    patient = {"given_name": GIVEN, "family_name": FAMILY, "mrn": MRN, "birth_date": BORN, "sex": "M"}
    encounter = chain.post(f"{API}/encounters", admin, {"visit_number": VISIT, "patient": patient})["id"]
    chain.post(f"{API}/encounters/{encounter}/triage", admin, {"esi": 3})
    reads = [
        f"{API}/encounters/{encounter}",
        f"{FHIR}/Encounter/{encounter}",
        f"{FHIR}/Encounter?identifier={VISIT}",
        f"{FHIR}/Coverage?patient={MRN}",
        f"{FHIR}/Coverage?beneficiary={MRN}",
        f"{FHIR}/Encounter/{MRN}",  # an id in the path: logged as the route template
        f"{API}/no-such-things/{MRN}?name={GIVEN}",  # no such route: logged without its path
        "/openapi.json",
    ]
    assert [get(chain, path, provider) for path in reads][:4] == [200, 200, 200, 200]
    ack = send_a04(mllp_port(chain))
    assert b"MSA|AA" in ack, ack
    with connect(
        chain.url.replace("http", "ws") + f"/ws/board?facility=demo&mrn={MRN}",
        subprotocols=[Subprotocol(PROTOCOL), Subprotocol(BEARER_PREFIX + provider)],
        origin=Origin(chain.url),
        open_timeout=15,
    ) as board:
        board.recv(timeout=15)
    try:  # refused (no origin, no token): logged too
        with connect(chain.url.replace("http", "ws") + f"/ws/board?facility=demo&name={FAMILY}") as refused:
            refused.recv(timeout=15)
    except (ConnectionClosed, InvalidStatus):
        pass
    time.sleep(3)  # the relay publishes, the worker folds
    chain.stop_all()

    logs = {path.name: path.read_text(errors="replace") for path in sorted(chain.logs.glob("*.log"))}
    assert set(logs) >= {"serve.log", "mllp.log", "relay.log", "worker.log"}
    leaks = [
        f"{name}: {line}"
        for name, text in logs.items()
        for line in text.splitlines()
        if any(p in line for p in PLANTED)
    ]
    assert leaks == [], "\n".join(leaks)
    # The access log is on, and names the routes it saw.
    served = logs["serve.log"]
    assert f'"GET {FHIR.replace("demo", "{facility_id}")}/Coverage" 200' in served, served
    assert '"GET /api/v1/facilities/{facility_id}/encounters/{encounter_id}" 200' in served
    assert '"GET (no route)" 404' in served and '"WebSocket /ws/board" 101' in served
    assert "hl7" in logs["mllp.log"] and "A04" in logs["mllp.log"]
    assert json.dumps(encounter)[1:-1] not in served  # the visit's id stays out of the path too
