"""Topics for one test on the real broker: created from the settings, deleted after."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from base import kafka_clients
from base.settings import Settings
from base.topics import create_topics, planned_topics


async def delete_topics(settings: Settings) -> None:
    admin = kafka_clients.admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = [p.name for p in planned_topics(settings) if p.name in existing]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


@contextmanager
def topics_for_test(settings: Settings) -> Iterator[Settings]:
    asyncio.run(create_topics(settings))
    try:
        yield settings
    finally:
        asyncio.run(delete_topics(settings))
