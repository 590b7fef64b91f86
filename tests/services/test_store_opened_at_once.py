"""Several processes that open one PostgreSQL store at the same moment (two
relays and two servers started together) all open it: every opening
replaces the store's functions and creates its tables if missing, and two
doing so at once collide in PostgreSQL ("tuple concurrently updated"). Threads
stand in for the processes here; each has its own connections, which is
what collides."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from base.settings import Settings
from services.hospital import Hospital
from services.relay_batch import Relay

pytestmark = pytest.mark.postgres
AT_ONCE = 12


def test_a_store_opened_by_many_at_once_opens_for_all(fresh_postgres_dsn, tmp_path):
    settings = Settings(data_dir=tmp_path, event_store="postgres", postgres_dsn=fresh_postgres_dsn)
    Hospital(settings).close()  # created: from now on every opening replaces what exists
    start = threading.Barrier(AT_ONCE)

    def open_store(_: int) -> str:
        start.wait()
        app = Hospital(settings)
        try:
            Relay(app, None, settings.topics, batch_size=10)  # a relay opens its tracking table as well
        finally:
            app.close()
        return "opened"

    for _ in range(3):
        with ThreadPoolExecutor(AT_ONCE) as pool:
            assert list(pool.map(open_store, range(AT_ONCE))) == ["opened"] * AT_ONCE
