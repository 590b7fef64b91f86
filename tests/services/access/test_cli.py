"""`edflow reminders` and `edflow report`: help, and one-line errors."""

from __future__ import annotations

import pytest

from deploy.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["reminders", "--help"],
        ["reminders", "run", "--help"],
        ["report", "--help"],
        ["report", "schedule", "--help"],
        ["report", "stats", "--help"],
    ],
)
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 0 and "usage: edflow" in capsys.readouterr().out


def test_smtp_without_a_host_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDFLOW_REMINDER_CHANNEL", "smtp")
    monkeypatch.delenv("EDFLOW_SMTP_HOST", raising=False)
    assert main(["reminders", "run", "--once"]) == 2
    assert capsys.readouterr().err.strip() == "edflow reminders: EDFLOW_REMINDER_CHANNEL=smtp needs EDFLOW_SMTP_HOST"


def test_a_naive_now_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["reminders", "run", "--once", "--now", "2026-03-02T08:00:00"])
    assert stopped.value.code == 2 and "offset" in capsys.readouterr().err


def test_a_report_into_a_missing_directory_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "nowhere" / "x.csv"
    assert main(["report", "stats", "--facility", "f", "--from", "2026-03-01", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"edflow report: no such directory: {out.parent}"


def test_an_empty_store_gives_a_header_only_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDFLOW_EVENT_STORE", "sqlite")
    out = tmp_path / "s.csv"
    assert main(["report", "schedule", "--facility", "f", "--from", "2026-03-01", "--out", str(out)]) == 0
    assert out.read_text().splitlines() == [
        "date,start,end,department,provider_id,room_id,appointment_type,appointment_id,initials,status,insurance,confirmed"
    ]
