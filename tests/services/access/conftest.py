"""Fixtures for patient-access tests: a clinic week and booking shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from events.catalogue import Person

# Monday 2 March 2026; the clinic runs on UTC so the numbers read plainly.
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)
PATIENT = Person(family_name="Roe", given_name="Sam", sex="M", age_years=61)
WEEKDAYS_9_TO_5 = [(d, time(9), time(17)) for d in range(5)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Day 0 is Monday 2 March 2026."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


class Desk:
    """A scheduler at the desk: commands with event time that moves on."""

    def __init__(self, hospital, clock):
        self.app, self.clock = hospital, clock

    def meta(self, at_time=None):
        return self.clock.meta(role="scheduler", at=at_time)

    def define(self, kind="provider", resource="dr-1", department="cardiology", hours=WEEKDAYS_9_TO_5, **lengths):
        return self.app.define_schedule(self.meta(), kind, resource, department, "UTC", hours, lengths or None)

    def book(
        self,
        start,
        minutes=30,
        provider="dr-1",
        room=None,
        kind="outpatient-visit",
        appointment_id=None,
        department="cardiology",
        patient=PATIENT,
        **extra,
    ):
        return self.app.book(
            self.meta(),
            patient,
            provider,
            department,
            kind,
            start,
            start + timedelta(minutes=minutes),
            appointment_id=appointment_id,
            room_id=room,
            **extra,
        ).id


@pytest.fixture
def desk(hospital, clock) -> Desk:
    return Desk(hospital, clock)


def types(outcome) -> list[str]:
    return [e["type"] for e in outcome.events]


@pytest.fixture
def sqlite_hospital_with_history(sqlite_settings, clock):
    """Published events of a small, busy scheduling history."""
    from base.store_log import envelopes_after
    from events.catalogue import Coverage
    from services.hospital import Hospital

    app = Hospital(sqlite_settings)
    desk = Desk(app, clock)
    for n in range(6):
        desk.book(at(1, 9 + n), appointment_id=f"H{n}")
    desk.app.cancel_appointment(desk.meta(), "H1", "ill")
    desk.app.reschedule(desk.meta(), "H2", at(2, 9), at(2, 9, 30))
    desk.app.request_verification(desk.meta(), "H3", Coverage(payer="Acme", member_id="M"))
    desk.app.check_in(desk.meta(), "H4")
    desk.app.record_reminder(desk.meta(), "H5", 120, "log", "m")
    envelopes, _ = envelopes_after(app, 0, limit=100_000)
    app.close()
    return envelopes
