"""`edflow reminders run --now` records what it sends at --now: the event-time
window applies, refused in one line before the store is opened."""

from __future__ import annotations

import pytest

from deploy.cli import main


@pytest.mark.parametrize(
    "now, why",
    [
        ("0001-01-01T00:00:00+00:00", "before this facility's history starts (2000-01-01, EDFLOW_HISTORY_START)"),
        ("9999-12-31T23:59:59+00:00", "is in the future"),
    ],
)
def test_reminders_now_outside_the_window_is_a_one_line_error(tmp_path, monkeypatch, capsys, now, why):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    assert main(["reminders", "run", "--once", "--now", now]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"edflow reminders: --now {now[:10]}") and why in err and "\n" not in err
    assert not (tmp_path / "events.sqlite").exists()
