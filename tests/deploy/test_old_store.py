"""A store written by edflow 0.1 still opens, verifies and replays to the same
board: moving or renaming code never orphans stored events."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

STORES = FIXTURES / "stores"
LAST_RECORDED = "2026-12-05T21:06:42.218907+00:00"
# What a replay prints about its own run rather than about the board.
RUN_FIELDS = ("events_read", "source")


@pytest.fixture
def old_store(tmp_path: Path) -> dict[str, str]:
    with gzip.open(STORES / "edflow-0.1-two-days.sqlite.gz") as packed, open(tmp_path / "events.sqlite", "wb") as out:
        shutil.copyfileobj(packed, out)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDFLOW_")}
    return {**env, "EDFLOW_DATA_DIR": str(tmp_path), "EDFLOW_JWT_SECRET": "s" * 40}


def edflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_old_store_replays_to_the_board_it_had(old_store: dict[str, str]):
    done = edflow(old_store, "replay", "--by", "recorded", "--at", LAST_RECORDED, "--facility", "demo", "--json")
    assert done.returncode == 0, done.stderr
    board = json.loads(done.stdout)
    expected = json.loads((STORES / "edflow-0.1-two-days.replay.json").read_text())
    for field in RUN_FIELDS:
        board.pop(field, None)
        expected.pop(field, None)
    assert board["events_folded"] == 2393
    assert board == expected


def test_the_old_store_chain_still_verifies(old_store: dict[str, str]):
    done = edflow(old_store, "audit", "verify")
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.startswith("intact: "), done.stdout


def test_the_old_unkeyed_chain_is_continued_by_a_keyed_one(old_store: dict[str, str]):
    before = edflow(old_store, "audit", "verify")
    assert before.returncode == 0, before.stderr + before.stdout
    head = int(before.stdout.split("head at position ")[1].split()[0])
    assert "no keyed link yet" in before.stdout
    # A replay is an audited read: it records one event, the first keyed link.
    done = edflow(old_store, "replay", "--by", "recorded", "--at", LAST_RECORDED, "--facility", "demo", "--json")
    after = edflow(old_store, "audit", "verify")
    assert after.returncode == 0, done.stderr + after.stderr + after.stdout
    assert f"keyed chain from position {head + 1}; the links before it are unkeyed SHA-256" in after.stdout
    assert "1 checkpoint matched, the newest at position" in after.stdout
