"""The real `edflow reminders run` process, killed with SIGKILL mid-pass and
restarted, delivers and records every due reminder exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from base.settings import Settings
from base.store_log import envelopes_after
from events.catalogue import ReminderSent
from services.hospital import Hospital
from tests.services.access.conftest import PATIENT, at

REPO = Path(__file__).resolve().parents[3]
APPOINTMENTS = 150


def reminders_command(data_dir: Path, now: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "EDFLOW_DATA_DIR": str(data_dir),
        "EDFLOW_EVENT_STORE": "sqlite",
        "EDFLOW_REMINDER_CHANNEL": "log",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "deploy.cli", "reminders", "run", "--once", "--now", now],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_a_killed_and_restarted_reminder_process_sends_each_reminder_exactly_once(tmp_path, clock):
    app = Hospital(Settings(data_dir=tmp_path, event_store="sqlite"))
    for n in range(APPOINTMENTS):
        start = at(3, 9) + timedelta(minutes=10 * n)
        app.book(
            clock.meta(role="scheduler"),
            PATIENT,
            f"dr-{n % 7}",
            "cardiology",
            "outpatient-visit",
            start,
            start + timedelta(minutes=10),
            appointment_id=f"A{n}",
        )
    outbox = tmp_path / "reminder-outbox"
    # At this instant the 48-hour reminder of every appointment is due; the 2-hour one is not.
    now = at(2, 12).isoformat()

    first = reminders_command(tmp_path, now)
    deadline = time.monotonic() + 60
    while len(list(outbox.glob("*.json"))) < 10:
        assert first.poll() is None, "the process finished before it could be killed; raise APPOINTMENTS"
        assert time.monotonic() < deadline, "no reminder was delivered within a minute"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    delivered_before = len(list(outbox.glob("*.json")))
    assert 10 <= delivered_before < APPOINTMENTS

    second = reminders_command(tmp_path, now)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out

    envelopes, _ = envelopes_after(app, 0, limit=1_000_000)
    facts: list[tuple[uuid.UUID, object]] = [(e.aggregate_id, e.data) for e in envelopes]
    sent = [(aggregate_id, fact) for aggregate_id, fact in facts if isinstance(fact, ReminderSent)]
    recorded = Counter((aggregate_id, fact.lead_minutes) for aggregate_id, fact in sent)
    assert len(recorded) == APPOINTMENTS and set(recorded.values()) == {1}
    assert {lead for _, lead in recorded} == {2880}
    messages = {fact.message_id for _, fact in sent}
    files = {p.stem for p in outbox.glob("*.json")}
    assert files == messages and len(files) == APPOINTMENTS
    app.close()
