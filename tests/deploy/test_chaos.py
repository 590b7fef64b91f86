"""`edflow chaos --short` end to end: its own three-broker cluster, two
relays, two workers and two servers on a scratch PostgreSQL database, one
fault of each kind, and a verdict table in which every check passes. It
leaves no process and no database behind."""

from __future__ import annotations

import os
import re
import subprocess

import psycopg
import pytest

from deploy.chaos.processes import EDFLOW
from tests.conftest import postgres_dsn

# `-m chaos` runs only this test, `-m "not chaos"` leaves it out. It once failed
# in about one run in seven with an event the worker never folded after a
# partition moved; the worker's offset guard fixed that (README, "The fault
# harness").
pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.chaos]

CHECKS = (
    "every planned fault injected",
    "traffic ran throughout, no unexpected answer",
    "acknowledged events in the store once",
    "store events on the topics",
    "live board of serve-api = replay",
    "live board of serve-board = replay",
    "live board of the board client = replay",
    "every board gap healed by a snapshot",
    "board moved again after every fault",
)
FAULTS = ("broker", "relay", "worker", "board-server", "api-server", "broker-pause")


def chaos_databases(dsn: str) -> set[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'edflow_chaos_%'").fetchall()
    return {row[0] for row in rows}


def test_the_short_fault_run_passes_every_check_and_cleans_up(tmp_path):
    dsn = postgres_dsn()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    env["EDFLOW_POSTGRES_DSN"] = dsn
    run = subprocess.run(
        [EDFLOW, "chaos", "--short", "--down", "1", "--settle", "5", "--keep", str(tmp_path / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    out = run.stdout
    assert run.returncode == 0, f"exit {run.returncode}:\n{out[-6000:]}\n{run.stderr[-3000:]}"
    assert "all checks passed" in out
    for check in CHECKS:
        row = next((line for line in out.splitlines() if check in line), "")
        assert re.search(r"\bPASS\b", row), f"{check!r} did not pass:\n{out[-6000:]}"
    for kind in FAULTS:
        assert re.search(rf"│ \d+ │ {kind} +│.*│ PASS +│", out), f"no recovered {kind} fault:\n{out[-6000:]}"
    assert "FAIL" not in out

    # Nothing left running from the run's directory, and its database is gone.
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "run")], capture_output=True, text=True).stdout
    assert not leftovers.strip(), f"processes left running: {leftovers}"
    # By name: other runs on the same server may have databases of their own.
    database = re.search(r"store: postgres, database (edflow_chaos_\w+)", out)
    assert database, out[:2000]
    assert database.group(1) not in chaos_databases(dsn)
