"""One visit the search cannot match (its arrival time has no zone, so it
cannot be compared with the search's dates) is left out of an Encounter
search; every other visit is still found."""

from __future__ import annotations

from datetime import datetime

from events.envelope import Actor
from services.fhir import finders
from services.recording import Meta
from tests.services.fhir.conftest import ALAN, FACILITY
from tests.services.fhir.test_fhir_search import found


def test_an_encounter_search_survives_a_visit_it_cannot_compare(scenario, scenario_hospital, reader):
    zoneless = Meta(facility_id=FACILITY, occurred_at=datetime(2026, 3, 4, 8), actor=Actor(id="setup-1", role="admin"))
    scenario_hospital.arrive(zoneless, "V-BAD", ALAN)
    before = finders.SKIPPED["Encounter"]

    assert found(reader("provider"), "Encounter", "date=ge2026-03-02") == ["V1", "V2", "V3"]
    assert finders.SKIPPED["Encounter"] == before + 1
