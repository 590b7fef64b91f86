"""Simulated placement: admissions run through bed requests, the bed
manager assigns and readies inpatient beds, boarders leave for them and
inpatients go home, so the demo's boarding panel moves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

ARRIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_simulated_day_places_its_admissions_without_an_error(new_department):
    department = new_department()
    simulator = department.simulator(ARRIVED, timedelta(days=2), seed=4)
    tally = simulator.run()
    assert dict(simulator.client.counts.unexpected) == {}
    types = Counter(e.type for e in department.envelopes())
    assert types["BedRequested"] == types["AdmitDecided"] > 0
    assert types["InpatientBedAssigned"] == tally.placements > 0
    assert 0 < types["InpatientBedReady"] <= types["InpatientBedAssigned"]
    assert 0 < types["InpatientBedOccupied"] <= types["InpatientBedReserved"]
    assert types["InpatientBedReleased"] > 0  # inpatients went home (or a request closed)
    # Boarders left for the bed they were given.
    left = [e for e in department.envelopes() if e.type == "PatientDischarged" and e.data.disposition == "admitted"]
    assert any((e.data.destination or "").startswith(("4W-", "5E-", "3S-", "ICU-")) for e in left)
