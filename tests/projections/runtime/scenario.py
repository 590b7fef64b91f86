"""A busy ED day recorded through the real write model, read back as the
envelopes the relay would publish."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from base.settings import Settings
from base.store_log import to_envelope
from events.catalogue import Person
from events.envelope import Envelope
from services.hospital import Hospital

BEDS = [f"A{n}" for n in range(1, 13)]


def record_day(data_dir: Path, clock, patients: int, facility_id: str = "fac-1", seed: int = 7) -> list[Envelope]:
    """Arrivals, triage, provider, bed, discharge or admit or LWBS, bed turnover,
    plus follow-up appointments; returns every published envelope in store order."""
    rng = random.Random(seed)
    app = Hospital(Settings(data_dir=data_dir, event_store="sqlite"))
    try:
        meta = lambda role="charge-nurse": clock.meta(facility_id=facility_id, role=role)  # noqa: E731
        for bed in BEDS:
            app.register_bed(meta(), bed, unit="ED-A")
        free, open_visits = list(BEDS), []
        for n in range(patients):
            person = Person(given_name="Ada", family_name=f"Lovelace{n}", age_years=20 + n % 60, sex="F")
            visit = app.arrive(meta("registrar"), f"V{n:05d}", person, chief_complaint="chest pain").id
            app.triage(meta("triage-nurse"), visit, esi=rng.randint(1, 5))
            if rng.random() < 0.08:
                app.leave_without_being_seen(meta(), visit)
                continue
            app.assign_provider(meta("physician"), visit, provider_id=f"dr-{n % 4}")
            if free:
                app.assign_bed(meta(), visit, free.pop())
            open_visits.append(visit)
            if len(open_visits) > 8:
                done = open_visits.pop(0)
                left = app.encounter(facility_id, done).bed_id
                if rng.random() < 0.25:
                    app.decide_admit(meta("physician"), done)
                app.discharge(meta("physician"), done, disposition="home")
                if left:
                    app.start_cleaning(meta("evs"), left)
                    app.finish_cleaning(meta("evs"), left)
                    free.append(left)
            if n % 5 == 0:
                start = clock.now + timedelta(days=2, minutes=30 * n)
                appointment = app.book(
                    meta("scheduler"),
                    person,
                    provider_id=f"dr-{n % 4}",
                    department="cardiology",
                    appointment_type="ed-follow-up",
                    start=start,
                    end=start + timedelta(minutes=20),
                ).id
                if n % 10 == 0:
                    app.check_in(meta("registrar"), appointment)
        return envelopes_of(app)
    finally:
        app.close()


def envelopes_of(app: Hospital) -> list[Envelope]:
    envelopes: list[Envelope] = []
    start = 1
    while True:
        notifications = app.recorder.select_notifications(start, 1000)
        if not notifications:
            return envelopes
        for notification in notifications:
            envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
            if envelope is not None:
                envelopes.append(envelope)
        start = notifications[-1].id + 1
