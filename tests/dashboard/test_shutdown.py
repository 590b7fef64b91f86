"""The server stops on time even when a dashboard task will not."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from dashboard import app as dashboard_app
from dashboard.fanout import Fanout


class StuckBoardReader:
    """A board reader caught in a Kafka client's close: it shrugs off the first cancellation."""

    def __init__(self):
        self.fanout = Fanout()
        self.cancellations = 0

    async def run(self) -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancellations += 1
                if self.cancellations > 1:  # let the test's own loop end
                    raise


async def test_shutdown_ends_within_its_bound_and_names_the_task_that_would_not_stop(monkeypatch, caplog):
    monkeypatch.setattr(dashboard_app, "SHUTDOWN_SECONDS", 0.5)
    app, reader = FastAPI(), StuckBoardReader()
    dashboard_app._run_during_lifespan(app, reader)

    async def serve_briefly() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.05)

    with caplog.at_level(logging.ERROR, logger="edflow.dashboard"):
        await asyncio.wait_for(serve_briefly(), timeout=5)
    assert reader.cancellations == 1
    assert "board-feed" in caplog.text and "did not stop" in caplog.text
