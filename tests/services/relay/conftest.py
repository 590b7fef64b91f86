"""Fixtures for the relay's integration tests: settings that point at the real
broker with topics unique to the test, and a reader for those topics.
The topics are deleted afterwards so the shared broker does not fill up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from base.settings import Settings
from tests.kafka_topics import delete_topics


@pytest.fixture
def relay_settings(settings: Settings, kafka_bootstrap: str, topic_prefix: str) -> Iterator[Settings]:
    """The backend-parametrized settings, publishing to this test's own topics."""
    configured = settings.model_copy(
        update={"kafka_bootstrap": kafka_bootstrap, "topic_prefix": topic_prefix, "relay_poll_seconds": 0.02}
    )
    yield configured
    asyncio.run(delete_topics(configured))


@pytest.fixture
def sqlite_relay_settings(sqlite_settings: Settings, kafka_bootstrap: str, topic_prefix: str) -> Iterator[Settings]:
    configured = sqlite_settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap, "topic_prefix": topic_prefix})
    yield configured
    asyncio.run(delete_topics(configured))
