"""The whole chain (serve, relay, worker) and real headless Chromium, shared
by the tests of a module: starting the chain takes longer than any test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.chain import Chain

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_TIMEOUT_MS = 30_000  # liveness only: the chain is relay → broker → worker → broker → dashboard


@pytest.fixture(scope="module")
def chain(tmp_path_factory, request, kafka_bootstrap: str) -> Iterator[Chain]:
    yield from running_chain(tmp_path_factory, request, kafka_bootstrap)


def running_chain(tmp_path_factory, request, kafka_bootstrap: str, **env: str) -> Iterator[Chain]:
    """Serve, relay and worker on a fresh store and topics; `env` adds settings."""
    running = Chain(tmp_path_factory.mktemp("chain"), kafka_bootstrap, f"e2e{uuid.uuid4().hex[:10]}")
    running.env.update(env)
    try:
        running.create_topics()
        running.run("facility", "load")
        running.serve()
        running.start("relay", "relay")
        running.start("worker", "worker")
        yield running
    finally:
        running.stop_all()
        if request.session.testsfailed:
            print(running.all_logs())


@pytest.fixture(scope="module")
def kafka_bootstrap() -> str:
    # Module-scoped twin of the root fixture, so the chain can share it.
    import socket

    bootstrap = os.environ.get("EDFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError:
        pytest.fail(f"no Kafka broker at {bootstrap}: start it with `bash deploy/kafka.sh start`")
    return bootstrap


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_board(
    browser: Browser, chain: Chain, token: str, width: int = 1500, height: int = 1100, timezone_id: str | None = None
) -> Page:
    """A new browser context (its own sessionStorage, optionally its own time zone), signed in, live."""
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id=timezone_id)
    page = context.new_page()
    page.goto(chain.url + "/")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT_MS)
    return page
