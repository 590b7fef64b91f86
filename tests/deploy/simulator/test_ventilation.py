"""Simulated ventilation: the sickest ESI-1 patients go on a ventilator once
roomed and come off it before leaving, unless they leave for the ICU on it,
so the demo's NEDOCS ventilator term moves."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from deploy.simulator.arrivals import ArrivalModel
from deploy.simulator.patients import VENTILATED_COMPLAINTS, draw_course

ARRIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_only_esi_1_patients_with_a_breathing_or_cardiac_emergency_are_ventilated():
    rng, model = random.Random(5), ArrivalModel()
    courses = [draw_course(rng, model.draw_esi(rng), ARRIVED) for _ in range(20_000)]
    ventilated = [c for c in courses if c.ventilated]
    assert ventilated and all(c.esi == 1 and c.chief_complaint in VENTILATED_COMPLAINTS for c in ventilated)
    for course in ventilated:
        leaves_on_it = course.outcome in ("icu", "died")
        assert (course.minutes_on_ventilator is None) == leaves_on_it
    assert all(c.minutes_on_ventilator is None for c in courses if not c.ventilated)


def test_a_simulated_day_starts_and_stops_ventilation_without_a_refusal(new_department):
    department = new_department()
    simulator = department.simulator(ARRIVED, timedelta(days=1), seed=3)
    tally = simulator.run()
    assert dict(simulator.client.counts.unexpected) == {}
    assert not [what for what in simulator.client.counts.conflict_codes if "/ventilation" in what]
    types = Counter(e.type for e in department.envelopes())
    assert types["VentilationStarted"] == tally.ventilations > 0
    assert 0 < types["VentilationStopped"] <= types["VentilationStarted"]
