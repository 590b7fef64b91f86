"""`edflow hl7 import`: files of HL7 messages applied in order through the
MLLP intake, one report line per message."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.settings import Settings
from deploy.cli import main
from services.hospital import Hospital
from tests.conftest import FIXTURES
from tests.services.api.test_bed_race import facts_in_store

HL7 = FIXTURES / "hl7"
A04 = (HL7 / "ms-fhir-converter__ADT-A04-01.hl7").read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")


@pytest.fixture
def store(settings: Settings, monkeypatch) -> Settings:
    """The CLI's environment pointing at this test's store (both backends)."""
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EDFLOW_EVENT_STORE", settings.event_store)
    monkeypatch.setenv("EDFLOW_POSTGRES_DSN", settings.postgres_dsn)
    monkeypatch.delenv("EDFLOW_FACILITY_CONFIG", raising=False)
    return settings


def a04(n: int) -> bytes:
    """The real A04 sample as a distinct visit with its own control id."""
    return A04.replace(b"40007716", f"IMP{n}".encode()).replace(b"MSG00001", f"IMPC{n}".encode())


def report_lines(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]


def test_batch_and_file_envelopes_are_applied_in_order_with_one_ack_line_each(store, tmp_path, capsys):
    report = tmp_path / "acks.tsv"
    files = ["sample_batch", "sample_file", "sample_bad_batch", "sample_bad_file", "sample_batch"]
    paths = [str(HL7 / f"python-hl7__{name}.hl7") for name in files]

    assert main(["hl7", "import", "--quiet", "--report", str(report), *paths]) == 1  # not all accepted

    lines = report_lines(report)
    assert [line[0] for line in lines] == ["1", "2", "3", "4", "5"]
    assert [line[1] for line in lines] == paths
    # The sample names no visit (PV1-19): refused on content (AE), and kept, so
    # the same control id again gets the same ACK.
    assert lines[0][2:5] == ["12334456778890", "ADT^A04", "AE"] and "PV1-19" in lines[0][5]
    assert lines[1][2:] == lines[0][2:] and lines[4][2:] == lines[0][2:]
    # The bad envelopes have segments before any MSH: rejected (AR) as over MLLP.
    for line in lines[2:4]:
        assert line[4] == "AR" and "before any MSH" in line[5]
    out = capsys.readouterr().out
    assert "imported 5 messages from 5 file(s)" in out and "3 AE, 2 AR" in out


def test_frames_are_applied_once_and_a_second_import_records_nothing_new(store, tmp_path, capsys):
    feed = tmp_path / "queue.hl7"
    feed.write_bytes(b"".join(b"\x0b" + a04(n) + b"\x1c\r" for n in (1, 2, 3, 2)))
    first, second = tmp_path / "first.tsv", tmp_path / "second.tsv"

    assert main(["hl7", "import", "--quiet", "--report", str(first), str(feed)]) == 0
    app = Hospital(store)
    try:
        assert facts_in_store(app)["PatientArrived"] == 3
    finally:
        app.close()
    assert main(["hl7", "import", "--quiet", "--report", str(second), str(feed)]) == 0

    lines = report_lines(first)
    assert [(line[2], line[3], line[4]) for line in lines] == [
        ("IMPC1", "ADT^A04", "AA"),
        ("IMPC2", "ADT^A04", "AA"),
        ("IMPC3", "ADT^A04", "AA"),
        ("IMPC2", "ADT^A04", "AA"),
    ]
    assert [line[2:] for line in report_lines(second)] == [line[2:] for line in lines]
    app = Hospital(store)
    try:
        assert facts_in_store(app)["PatientArrived"] == 3
    finally:
        app.close()
    assert "4 AA" in capsys.readouterr().out


def test_messages_one_after_another_without_frames_or_envelope(store, tmp_path):
    feed = tmp_path / "plain.hl7"
    feed.write_bytes(a04(7) + b"\n" + a04(8) + b"\n")  # one segment a line, as files are often written
    report = tmp_path / "plain.tsv"
    assert main(["hl7", "import", "--quiet", "--report", str(report), str(feed)]) == 0
    assert [line[2] for line in report_lines(report)] == ["IMPC7", "IMPC8"]


def test_a_missing_file_is_a_one_line_error_and_nothing_is_applied(store, tmp_path, capsys):
    good = tmp_path / "good.hl7"
    good.write_bytes(a04(9))
    report = tmp_path / "never.tsv"
    assert main(["hl7", "import", "--report", str(report), str(good), str(tmp_path / "missing.hl7")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err and "missing.hl7" in err
    assert not report.exists()
    app = Hospital(store)
    try:
        assert facts_in_store(app)["PatientArrived"] == 0
    finally:
        app.close()


def test_help_names_the_report_format(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["hl7", "import", "--help"])
    assert exit_.value.code == 0
    assert "one tab-separated" in capsys.readouterr().out
