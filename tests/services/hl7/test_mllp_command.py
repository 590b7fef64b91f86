"""`edflow mllp` as a process: it listens, applies what `mllp_send` sends, and
refuses bad options with one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from base.settings import Settings
from services.ed.application import encounter_id_for
from services.hospital import Hospital
from tests.services.hl7.conftest import MLLP_SEND, ack_code, frame, sample

EDFLOW = Path(sys.executable).parent / "edflow"


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    env.update(EDFLOW_DATA_DIR=str(tmp_path), EDFLOW_EVENT_STORE="sqlite")
    return env


def test_the_command_listens_and_applies_a_sample_sent_by_mllp_send(tmp_path):
    process = subprocess.Popen(
        [str(EDFLOW), "mllp", "--port", "0", "--facility", "fallback"],
        env=environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        line = process.stdout.readline()
        assert "listening on" in line, process.stderr.read() if process.poll() is not None else line
        host, port = line.rsplit(" ", 1)[-1].strip().rsplit(":", 1)
        message = tmp_path / "a04.hl7"
        message.write_bytes(frame(sample("ms-fhir-converter__ADT-A04-01.hl7")))
        sent = subprocess.run([str(MLLP_SEND), "--port", port, "--file", str(message), host],
                              capture_output=True, timeout=60, check=True)  # fmt: skip
        assert ack_code(sent.stdout.strip(b"\x0b\x1c\r\n")) == "AA"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode in (0, 130)
    app = Hospital(Settings(data_dir=tmp_path, event_store="sqlite"))
    try:
        visit = app.encounter("GHHSFacility", str(encounter_id_for("GHHSFacility", "40007716")))
        assert visit.status == "waiting"  # no bed is registered in this store
    finally:
        app.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone"),
        (["--bed-id", "{ward}-{bed}"], "--bed-id"),
        (["--tls-cert", "cert.pem"], "both --tls-cert and --tls-key"),
        (["--tls-client-ca", "ca.pem"], "needs TLS"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, args, message):
    done = subprocess.run([str(EDFLOW), "mllp", "--port", "0", *args], env=environment(tmp_path),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_a_port_in_use_is_a_one_line_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(EDFLOW), "mllp", "--host", "127.0.0.1", "--port", str(port)],
                              env=environment(tmp_path), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert "choose another --port" in done.stderr and "Traceback" not in done.stderr


def test_help_describes_the_command():
    done = subprocess.run([str(EDFLOW), "mllp", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "MLLP" in done.stdout and "--bed-id" in done.stdout


def test_a_facility_file_without_hl7_senders_is_a_one_line_error(tmp_path):
    """Without senders every message would be refused: the listener says so
    at start-up instead of answering AR to every feed."""
    facility = tmp_path / "site.toml"
    facility.write_text(
        'id = "site"\nname = "Site"\ntimezone = "America/Chicago"\ninpatient_beds = 10\ned_ventilators = 1\n'
        '[[units]]\nid = "ed"\nname = "ED"\nbed_type = "acute"\nbeds = ["A1"]\n'
    )
    env = {**environment(tmp_path), "EDFLOW_FACILITY_CONFIG": str(facility)}
    done = subprocess.run([str(EDFLOW), "mllp", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "lists no [[hl7_senders]]" in done.stderr and done.stderr.count("\n") == 1
