"""What edflow writes under EDFLOW_DATA_DIR (the SQLite store, the token
secret, the worker's tables) is the service account's alone: directories
0700, files 0600, however permissive the umask it was started with (the
`edflow` command sets its own)."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import subprocess
from pathlib import Path

import pytest

from base.settings import Settings
from events.catalogue import Person
from services.audit.keys import checkpoint_path
from services.hospital import Hospital
from tests.kafka_topics import delete_topics
from tests.services.relay.kafka_harness import EDFLOW, relay_environment, with_topics


def open_to_others(root: Path) -> list[str]:
    """Every path under root (root included) with a group or other permission bit."""
    paths = [root, *root.rglob("*")]
    return [
        f"{p.relative_to(root.parent)} {stat.S_IMODE(p.lstat().st_mode):o}" for p in paths if p.lstat().st_mode & 0o077
    ]


def edflow(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """The edflow command as its own process, started with a permissive umask."""
    return subprocess.run(
        [EDFLOW, *args],
        env=relay_environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )


@pytest.fixture
def permissive_umask():
    """The common default umask, for code run in this process."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_fresh_data_dir_holds_nothing_others_can_read(
    tmp_path, kafka_bootstrap, topic_prefix, clock, permissive_umask
):
    data = tmp_path / "var"
    settings = Settings(data_dir=data, event_store="sqlite", kafka_bootstrap=kafka_bootstrap, topic_prefix=topic_prefix)
    app = Hospital(settings)
    try:
        app.arrive(clock.meta(), "V1", Person(family_name="Doe", given_name="Jo", age_years=40))
    finally:
        app.close()
    assert data.exists() and open_to_others(data) == []

    token = edflow(settings, "token", "--sub", "nurse-1", "--role", "intake", "--facility", "fac-1")
    assert token.returncode == 0, token.stderr
    assert (data / "jwt-secret").exists()
    checkpoint = edflow(settings, "audit", "checkpoint")  # a file written under the process umask alone
    assert checkpoint.returncode == 0, checkpoint.stderr
    audit = checkpoint_path(settings).parent  # kept beside the data directory, not in it
    assert checkpoint_path(settings).exists()
    assert open_to_others(audit) == []
    try:
        with_topics(settings)
        relayed = edflow(settings, "relay", "--once")
        assert relayed.returncode == 0, relayed.stderr
    finally:
        asyncio.run(delete_topics(settings))

    from projections.runtime.worker import create_app

    create_app(settings)
    assert (data / "worker").is_dir()
    assert open_to_others(data) == []


def test_an_open_data_dir_and_store_are_tightened_when_the_store_opens(tmp_path, clock, permissive_umask):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    store = data / "events.sqlite"
    store.touch(mode=0o644)
    os.chmod(data, 0o755)
    os.chmod(store, 0o644)
    settings = Settings(data_dir=data, event_store="sqlite")
    Hospital(settings).close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert open_to_others(data) == []


def test_a_data_dir_that_cannot_be_tightened_is_named_in_one_warning(tmp_path, monkeypatch, caplog):
    data = tmp_path / "shared"
    data.mkdir()
    os.chmod(data, 0o755)

    def refused(path, mode):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refused)
    from base.private_files import private_dir

    with caplog.at_level(logging.WARNING):
        private_dir(data)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(data) in warning.getMessage() and "755" in warning.getMessage()
    assert "\n" not in warning.getMessage()
