"""Fixtures for replay tests: a morning recorded through the real write model,
and this test's own Kafka topics (deleted afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from base.settings import Settings
from events.catalogue import Coverage, PatientDetailsUpdated, Person
from tests.kafka_topics import topics_for_test


def record_morning(app, clock, facility_id: str = "demo") -> None:
    """A busy morning through Hospital commands: every kind of ED fact, corrections and appointments."""

    def meta():
        return clock.meta(facility_id=facility_id)

    for bed in ("A1", "A2", "A3"):
        app.register_bed(meta(), bed, "acute-a")
    visits = [
        app.arrive(meta(), f"V{n}", Person(given_name="Ana", family_name="Diaz", age_years=30 + n)).id
        for n in range(1, 7)
    ]
    v1, v2, v3, v4, v5, v6 = visits
    app.triage(meta(), v1, 2)
    app.triage(meta(), v2, 3)
    app.assign_bed(meta(), v1, "A1")
    app.assign_provider(meta(), v1, "ed-okafor")
    app.assign_bed(meta(), v2, "A2")
    app.assign_bed(meta(), v2, "A3")  # transfer: A2 is released dirty
    app.start_cleaning(meta(), "A2")
    app.finish_cleaning(meta(), "A2")
    app.decide_admit(meta(), v1)
    app.leave_without_being_seen(meta(), v3)
    app.cancel_arrival(meta(), v4, "registered twice")
    app.assign_provider(meta(), v2, "ed-chen")
    app.discharge(meta(), v2, "home")
    app.cancel_discharge(meta(), v2, "discharged the wrong visit")
    app.update_details(meta(), v5, PatientDetailsUpdated(chief_complaint="fall"))
    app.block_bed(meta(), "A2", "monitor broken")
    app.discharge(meta(), v1, "admitted")
    app.triage(meta(), v6, 4)
    start = clock.now + timedelta(days=1)
    app.book(
        meta(),
        Person(given_name="Li", family_name="Wu"),
        "ortho-sato",
        "orthopedics",
        "outpatient-procedure",
        start,
        start + timedelta(hours=1),
        appointment_id="appt-1",
    )
    app.request_verification(meta(), "appt-1", Coverage(payer="Acme", member_id="M1"))
    app.check_in(meta(), "appt-1")


@pytest.fixture
def kafka_settings(sqlite_settings: Settings, kafka_bootstrap: str, topic_prefix: str) -> Iterator[Settings]:
    configured = sqlite_settings.model_copy(update={"kafka_bootstrap": kafka_bootstrap, "topic_prefix": topic_prefix})
    with topics_for_test(configured):
        yield configured
