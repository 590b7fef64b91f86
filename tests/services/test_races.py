"""Two nurses racing for one bed: exactly one wins, the other is told why."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from events.catalogue import Person
from services.errors import BedNotAvailable, Conflict
from services.hospital import Hospital


def test_concurrent_assignments_of_one_bed_have_exactly_one_winner(settings, clock):
    app = Hospital(settings)
    app.register_bed(clock.meta(), "A1", "Acute")
    visits = [app.arrive(clock.meta(), f"V{n}", Person(sex="U")).id for n in range(12)]
    meta = clock.meta()

    def attempt(visit):
        try:
            app.assign_bed(meta, visit, "A1")
            return "won"
        except BedNotAvailable as error:
            assert "occupied" in error.message
            return "conflict"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(attempt, visits))

    assert results.count("won") == 1
    assert results.count("conflict") == 11
    occupied = [
        n
        for n in app.recorder.select_notifications(start=1, limit=10_000)
        if type(getattr(app.mapper.to_domain_event(n), "fact", None)).__name__ == "BedOccupied"
    ]
    assert len(occupied) == 1
    app.close()


def test_the_same_keyed_request_saved_by_another_connection_mid_decision_answers_with_its_result(
    settings, clock, monkeypatch
):
    """One connection looks for the request's receipt and finds none; the same
    request on another connection is recorded just then; the first connection's
    decision is refused by the rules (already registered). It must answer with
    the stored result, as any retry would, and record nothing."""
    app = Hospital(settings)
    meta, patient = clock.meta(), Person(sex="U")
    look_up = app._receipt
    overtaken: list = []

    def receipt_then_overtaken(receipt_id, request_hash):
        found = look_up(receipt_id, request_hash)
        if not overtaken:
            overtaken.append(None)  # the other connection's own look-up passes straight through
            overtaken[0] = app.arrive(meta, "V1", patient, idempotency_key="k-1", request=["arrive", "V1"])
        return found

    monkeypatch.setattr(app, "_receipt", receipt_then_overtaken)
    outcome = app.arrive(meta, "V1", patient, idempotency_key="k-1", request=["arrive", "V1"])

    assert outcome == overtaken[0]
    arrived = [
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if type(getattr(app.mapper.to_domain_event(n), "fact", None)).__name__ == "PatientArrived"
    ]
    assert len(arrived) == 1
    app.close()
