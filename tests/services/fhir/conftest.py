"""A small hand-built facility for the FHIR searches: two schedules, three
visits in different states, three appointments (one with coverage), beds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from fastapi.testclient import TestClient

from base.auth import mint_token
from events.catalogue import Coverage, Person
from events.envelope import Actor
from services.api.app import create_app
from services.fhir.router import router
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "fac-fhir"
BASE = f"/fhir/R4/{FACILITY}"
ADA = Person(mrn="MRN-ADA", family_name="Lovelace", given_name="Ada", sex="F")
ALAN = Person(mrn="MRN-ALAN", family_name="Turing", given_name="Alan", sex="M")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def meta(day: int, hour: int, minute: int = 0, facility_id: str = FACILITY) -> Meta:
    return Meta(facility_id=facility_id, occurred_at=utc(day, hour, minute), actor=Actor(id="setup-1", role="admin"))


@pytest.fixture
def scenario_hospital(settings):
    """On SQLite and on PostgreSQL (`settings` is parametrised)."""
    hospital = Hospital(settings)
    yield hospital
    hospital.close()


@pytest.fixture
def scenario(scenario_hospital):
    return build_scenario(scenario_hospital)


def build_scenario(h: Hospital) -> dict[str, str]:
    """March 2026: Mon 2nd to Wed 4th."""
    weekdays = [(d, time(8), time(16)) for d in range(5)]
    h.define_schedule(meta(1, 9), "provider", "dr-hopper", "cardiology", "UTC", weekdays, {"outpatient-visit": 20})
    h.define_schedule(meta(1, 9), "provider", "dr-curie", "radiology", "Europe/Paris", [(0, time(9), time(12))])
    h.define_schedule(meta(1, 9), "room", "room-7", "radiology", "UTC", weekdays)
    h.define_schedule(meta(1, 9, facility_id="elsewhere"), "provider", "dr-far", "cardiology", "UTC", weekdays)
    for bed in ("A1", "A2", "A3"):
        h.register_bed(meta(1, 8), bed, "ED-A")
    h.register_bed(meta(1, 8, facility_id="elsewhere"), "Z1", "ED-Z")
    h.block_bed(meta(1, 10), "A3", reason="broken rail")
    # V1: 2nd, still in bed A1.  V2: 2nd-3rd, discharged home.  V3: 4th, just arrived.
    v1 = h.arrive(meta(2, 10), "V1", ADA, chief_complaint="chest pain").id
    h.assign_bed(meta(2, 10, 5), v1, "A1")
    v2 = h.arrive(meta(2, 22), "V2", ALAN).id
    h.triage(meta(2, 22, 10), v2, 3)
    h.discharge(meta(3, 1), v2, "home")
    v3 = h.arrive(meta(4, 7), "V3", ALAN).id
    h.arrive(meta(2, 11, facility_id="elsewhere"), "V9", ADA)
    # Appointments: two with dr-hopper (one cancelled), one with dr-curie.
    h.book(
        meta(1, 12), ADA, "dr-hopper", "cardiology", "outpatient-visit", utc(2, 9), utc(2, 9, 20), appointment_id="ap-1"
    )
    h.book(
        meta(1, 12),
        ALAN,
        "dr-hopper",
        "cardiology",
        "outpatient-visit",
        utc(3, 9),
        utc(3, 9, 20),
        appointment_id="ap-2",
    )
    h.book(
        meta(1, 12), ALAN, "dr-curie", "radiology", "outpatient-procedure", utc(2, 9), utc(2, 10), appointment_id="ap-3"
    )
    plan = Coverage(
        payer="Acme Health",
        member_id="M-555",
        plan="GOLD",
        effective_from=date(2026, 1, 1),
        effective_to=date(2026, 12, 31),
    )
    h.request_verification(meta(1, 14), "ap-1", plan)
    h.request_verification(meta(1, 14), "ap-2", Coverage(payer="Beta Mutual", member_id="B-1"))
    h.cancel_appointment(meta(1, 15), "ap-2", reason="patient request")
    return {"V1": v1, "V2": v2, "V3": v3}


@pytest.fixture
def fhir_app(settings, scenario_hospital):
    api = create_app(settings, scenario_hospital)
    api.include_router(router)
    return api


@pytest.fixture
def reader(fhir_app, settings):
    """A client for one role: reader("scheduler")."""
    return lambda role: client_for(fhir_app, settings, role)


def client_for(app, settings, role: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {mint_token(settings, 'reader-7', role, [FACILITY])}"})
