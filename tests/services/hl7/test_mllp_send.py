"""The `mllp_send` client of the `hl7` package, run as a process, against a
running `edflow mllp` process: the tool an operator replays a feed with talks to
our listener, both with framed files and with sample files sent as-is (--loose)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from base.settings import Settings
from events.catalogue import AppointmentBooked, PatientArrived, PatientDischarged
from services.hospital import Hospital
from tests.services.hl7.conftest import MLLP_SEND, SAMPLES, ack_code, facts, frame, sample, segments

EDFLOW = Path(sys.executable).parent / "edflow"


class Listener:
    """`edflow mllp` on a free port over a SQLite store in `data_dir`."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
        env.update(EDFLOW_DATA_DIR=str(data_dir), EDFLOW_EVENT_STORE="sqlite")
        self.process = subprocess.Popen(
            [str(EDFLOW), "mllp", "--host", "127.0.0.1", "--port", "0"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.stop()
            pytest.fail(f"edflow mllp did not start: {line}{self.process.stderr.read() if self.process.stderr else ''}")
        self.host, self.port = line.rsplit(" ", 1)[-1].strip().rsplit(":", 1)

    def send(self, path: Path, *options: str) -> list[bytes]:
        """`mllp_send` with `options` and the file; the replies it printed."""
        done = subprocess.run(
            [str(MLLP_SEND), *options, "--port", self.port, "--file", str(path), self.host],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        return [r.split(b"\x1c")[0] for r in done.stdout.split(b"\x0b")[1:]]

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)
        return self.process.returncode

    def recorded(self) -> list:
        """The facts in the store, read once the listener has stopped."""
        assert self.stop() in (0, 130)
        app = Hospital(Settings(data_dir=self.data_dir, event_store="sqlite"))
        try:
            return facts(app)
        finally:
            app.close()


@pytest.fixture
def listener(tmp_path) -> Iterator[Listener]:
    running = Listener(tmp_path)
    yield running
    running.stop()


def test_a_framed_file_of_two_messages_gets_two_aa_and_both_are_recorded(listener, tmp_path):
    path = tmp_path / "feed.hl7"
    a04, a03 = sample("ms-fhir-converter__ADT-A04-01.hl7"), sample("ms-fhir-converter__ADT-A03-01.hl7")
    path.write_bytes(frame(a04) + frame(a03))

    replies = listener.send(path)

    assert [ack_code(r) for r in replies] == ["AA", "AA"]
    assert [segments(r, "MSA")[0][2] for r in replies] == ["MSG00001", "MSG00001"]
    recorded = listener.recorded()
    arrived = [f for f in recorded if isinstance(f, PatientArrived)]
    assert [(f.visit_number, f.patient.family_name) for f in arrived] == [("40007716", "EVERYMAN")]
    assert [f.disposition for f in recorded if isinstance(f, PatientDischarged)] == ["admitted"]


def test_a_sample_file_sent_as_is_with_loose_is_acknowledged_and_booked(listener):
    # The sample has LF segment ends and no MLLP framing: --loose frames it and sends CR ends.
    (reply,) = listener.send(SAMPLES / "ms-fhir-converter__SIU-S12-01.hl7", "--loose")

    assert ack_code(reply) == "AA"
    (booked,) = [f for f in listener.recorded() if isinstance(f, AppointmentBooked)]
    assert (booked.appointment_id, booked.provider_id) == ("36996", "1210")
