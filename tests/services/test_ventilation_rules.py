"""Ventilation in the department: started and stopped only on an open visit,
never twice in a row; leaving the department needs no stop."""

from __future__ import annotations

import pytest

from events.catalogue import Person
from services.errors import EncounterClosed, InvalidTransition


def fact_types(outcome):
    return [e["type"] for e in outcome.events]


def arrive(hospital, clock, visit="V1"):
    return hospital.arrive(clock.meta(role="intake"), visit, Person(age_years=60, sex="M")).id


def test_ventilation_is_started_and_stopped_as_events(hospital, clock):
    visit = arrive(hospital, clock)
    assert fact_types(hospital.ventilation(clock.meta(role="provider"), visit, "start")) == ["VentilationStarted"]
    assert fact_types(hospital.ventilation(clock.meta(role="provider"), visit, "stop")) == ["VentilationStopped"]
    assert fact_types(hospital.ventilation(clock.meta(role="provider"), visit, "start")) == ["VentilationStarted"]


def test_starting_twice_or_stopping_when_not_ventilated_is_refused_and_records_nothing(hospital, clock):
    visit = arrive(hospital, clock)
    with pytest.raises(InvalidTransition, match="not on a ventilator"):
        hospital.ventilation(clock.meta(), visit, "stop")
    hospital.ventilation(clock.meta(), visit, "start")
    with pytest.raises(InvalidTransition, match="already on a ventilator"):
        hospital.ventilation(clock.meta(), visit, "start")
    assert hospital.encounter("fac-1", visit).version == 2


def test_a_ventilated_patient_leaves_without_a_stop_and_a_departed_visit_takes_no_ventilation(hospital, clock):
    visit = arrive(hospital, clock)
    hospital.ventilation(clock.meta(), visit, "start")
    done = hospital.discharge(clock.meta(role="provider"), visit, "admitted", "ICU-2")
    assert fact_types(done) == ["PatientDischarged"]
    for action in ("start", "stop"):
        with pytest.raises(EncounterClosed):
            hospital.ventilation(clock.meta(), visit, action)


def test_a_cancelled_arrival_takes_no_ventilation(hospital, clock):
    visit = arrive(hospital, clock)
    hospital.cancel_arrival(clock.meta(), visit, "duplicate")
    with pytest.raises(EncounterClosed):
        hospital.ventilation(clock.meta(), visit, "start")
