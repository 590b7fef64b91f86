"""A store that cannot take the write is a 503 that says to retry, and the
command records nothing; never a 500."""

from __future__ import annotations

import sqlite3

import pytest

from base.settings import Settings
from tests.services.api.conftest import Api, with_secret


@pytest.fixture
def api_settings(sqlite_settings: Settings) -> Settings:
    """SQLite's lock timeout is what this test exercises."""
    return with_secret(sqlite_settings)


def test_a_store_locked_past_its_timeout_is_a_503(api: Api):
    api.register_bed("ED-1")
    before = api.position()
    # Another writer (a backup tool, a migration) holds the write lock for
    # longer than the store waits for it (5 s).
    holder = sqlite3.connect(api.settings.sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = api.post("/beds", {"bed_id": "ED-2", "unit": "ED-A"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert response.headers["retry-after"] == "1"
    assert api.position() == before
