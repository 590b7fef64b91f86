"""Integration on the real broker: bookings recorded in the store, relayed by
the real `edflow relay` process, read back from Kafka and folded by the
work-queue reducer into the scheduler's queue."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from base import kafka_clients
from base.settings import Settings
from deploy.chaos.processes import server_environment
from events.catalogue import Coverage
from events.envelope import decode
from projections.work_queue import fold_into
from services.access.work_queue_view import view
from services.hospital import Hospital
from tests.kafka_topics import topics_for_test
from tests.services.access.conftest import PATIENT, at

EDFLOW = str(Path(sys.executable).parent / "edflow")


@pytest.fixture
def kafka_settings(settings: Settings, kafka_bootstrap: str, topic_prefix: str) -> Iterator[Settings]:
    configured = settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap, "topic_prefix": topic_prefix})
    with topics_for_test(configured):
        yield configured


def relay_once(settings: Settings) -> None:
    done = subprocess.run(
        [EDFLOW, "relay", "--once"], env=server_environment(settings), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


async def read_access_topic(settings: Settings, at_least: int, timeout: float = 30.0) -> list:
    consumer = kafka_clients.consumer(settings, settings.topics.access, group_id=None)
    await consumer.start()
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < at_least and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


def test_a_booking_flows_through_kafka_into_the_work_queue(kafka_settings, clock):
    app = Hospital(kafka_settings)
    meta = lambda: clock.meta(role="scheduler")  # noqa: E731
    app.book(meta(), PATIENT, "dr-1", "cardiology", "outpatient-visit", at(0, 9), at(0, 9, 30), appointment_id="A1")
    app.book(meta(), PATIENT, "dr-2", "orthopedics", "outpatient-visit", at(0, 10), at(0, 10, 30), appointment_id="A2")
    app.request_verification(meta(), "A2", Coverage(payer="Acme", member_id="M-2"))
    app.record_verification(meta(), "A2", True, "ref-9")
    app.book(meta(), PATIENT, "dr-1", "cardiology", "outpatient-visit", at(1, 9), at(1, 9, 30), appointment_id="A3")
    app.mark_no_show(meta(), "A1")
    recorded = app.recorder.max_notification_id()
    assert recorded is not None
    app.close()

    relay_once(kafka_settings)
    # 3 bookings with 3 calendar reservations, 2 insurance facts, 1 no-show.
    records = asyncio.run(read_access_topic(kafka_settings, at_least=9))
    envelopes = sorted((decode(r.value) for r in records), key=lambda e: e.position)
    assert envelopes and envelopes[-1].position <= recorded

    table = fold_into({}, envelopes)
    queue = view(table.values(), at(0, 12), "UTC", insurance_flag_days=3)
    assert {d: [i["appointment_id"] for i in items] for d, items in queue["today"].items()} == {
        "cardiology": ["A1"],
        "orthopedics": ["A2"],
    }
    assert [i["appointment_id"] for i in queue["no_shows_to_rebook"]] == ["A1"]
    assert [i["appointment_id"] for i in queue["unverified_coverage"]] == ["A3"]
    # A redelivery of everything (consumer restart) changes nothing.
    assert fold_into(dict(table), envelopes) == table
    assert queue["today"]["orthopedics"][0]["insurance"] == "verified"
