"""Every command route's happy path, and what the read routes return."""

from __future__ import annotations

from datetime import UTC, datetime

from base.store_log import to_envelope
from events.envelope import Actor
from tests.services.api.conftest import Api


def types(result: dict) -> list[str]:
    return [e["type"] for e in result["events"]]


def test_a_bed_goes_through_its_whole_cycle(api: Api):
    assert (
        api.post("/beds", {"bed_id": "ED-1", "unit": "ED-A", "bed_type": "resus", "label": "Resus 1"}).status_code
        == 201
    )
    visit = api.arrive()
    assert types(api.ok(f"/encounters/{visit}/bed", {"bed_id": "ED-1"})) == ["BedAssigned", "BedOccupied"]
    assert types(api.ok("/beds/ED-1/release")) == ["BedVacated", "BedReleased"]
    assert types(api.ok("/beds/ED-1/cleaning-started")) == ["BedCleaningStarted"]
    assert types(api.ok("/beds/ED-1/cleaned", {})) == ["BedCleaned"]
    assert types(api.ok("/beds/ED-1/block", {"reason": "broken rail"})) == ["BedBlocked"]
    assert types(api.ok("/beds/ED-1/unblock")) == ["BedUnblocked"]
    bed = api.get("/beds/ED-1").json()
    assert bed | {"version": 0} == {
        "bed_id": "ED-1",
        "facility_id": "fac-1",
        "unit": "ED-A",
        "bed_type": "resus",
        "label": "Resus 1",
        "status": "available",
        "encounter_id": None,
        "version": 0,
    }


def test_a_visit_goes_from_arrival_to_discharge(api: Api):
    api.register_bed("ED-1")
    api.register_bed("ED-2")
    visit = api.arrive()
    assert types(api.ok(f"/encounters/{visit}/triage", {"esi": 2})) == ["PatientTriaged"]
    assert types(api.ok(f"/encounters/{visit}/provider", {"provider_id": "dr-kim"})) == ["ProviderAssigned"]
    assert types(api.ok(f"/encounters/{visit}/bed", {"bed_id": "ED-1"})) == ["BedAssigned", "BedOccupied"]
    moved = api.ok(f"/encounters/{visit}/bed", {"bed_id": "ED-2"})
    assert types(moved) == ["PatientTransferred", "BedOccupied", "BedReleased"]
    assert types(api.ok(f"/encounters/{visit}/admit-decision", {"level_of_care": "icu"})) == [
        "AdmitDecided",
        "BedRequested",
    ]
    assert types(api.patch(f"/encounters/{visit}", {"chief_complaint": "chest pain"}).json()) == [
        "PatientDetailsUpdated"
    ]
    done = api.ok(f"/encounters/{visit}/discharge", {"disposition": "admitted", "destination": "ICU-3"})
    assert types(done) == ["PatientDischarged", "BedReleased"]
    assert types(api.ok(f"/encounters/{visit}/discharge-cancellation", {"reason": "wrong patient"})) == [
        "DischargeCancelled"
    ]
    view = api.get(f"/encounters/{visit}").json()
    assert (view["status"], view["esi"], view["provider_id"], view["admit_decided"]) == ("waiting", 2, "dr-kim", True)
    assert view["chief_complaint"] == "chest pain"


def test_arrival_returns_201_with_the_visit_id_and_one_event(api: Api):
    response = api.post("/encounters", {"visit_number": "V9", "patient": {"sex": "U"}, "arrival_mode": "ambulance"})
    assert response.status_code == 201
    body = response.json()
    assert body["events"][0]["type"] == "PatientArrived"
    assert body["events"][0]["aggregate_id"] == body["id"] and body["events"][0]["aggregate_version"] == 1


def test_a_waiting_patient_can_leave_without_being_seen(api: Api):
    visit = api.arrive()
    assert types(api.ok(f"/encounters/{visit}/left-without-being-seen", {})) == ["PatientLeftWithoutBeingSeen"]
    assert api.get(f"/encounters/{visit}").json()["status"] == "finished"


def test_an_arrival_recorded_in_error_can_be_cancelled(api: Api):
    visit = api.arrive()
    assert types(api.ok(f"/encounters/{visit}/arrival-cancellation", {"reason": "duplicate"})) == ["ArrivalCancelled"]
    assert api.get(f"/encounters/{visit}").json()["status"] == "cancelled"


def test_an_appointment_is_booked_verified_checked_in_and_completed(api: Api):
    created = api.post("/appointments", {**_booking("A1"), "reason": "cast check"})
    assert created.status_code == 201 and created.json()["id"] == "A1"
    assert "ProviderTimeReserved" in types(created.json())
    moved = api.ok(
        "/appointments/A1/reschedule", {"start": "2026-03-03T10:00:00-06:00", "end": "2026-03-03T10:30:00-06:00"}
    )
    assert "AppointmentRescheduled" in types(moved)
    coverage = {"coverage": {"payer": "Acme Health", "member_id": "M-77", "plan": "PPO"}}
    assert types(api.ok("/appointments/A1/insurance-verification", coverage)) == ["InsuranceVerificationRequested"]
    assert types(api.ok("/appointments/A1/insurance-verification/result", {"verified": True, "detail": "ref 12"})) == [
        "InsuranceVerified"
    ]
    assert types(api.ok("/appointments/A1/check-in")) == ["PatientCheckedIn"]
    assert types(api.ok("/appointments/A1/complete")) == ["AppointmentCompleted"]
    view = api.get("/appointments/A1").json()
    assert (view["status"], view["insurance"], view["start"]) == ("fulfilled", "verified", "2026-03-03T10:00:00-06:00")
    assert view["coverage"]["member_id"] == "M-77"


def test_an_appointment_can_be_cancelled_or_marked_no_show(api: Api):
    api.book("A1")
    api.book("A2", "2026-03-03T11:00:00+00:00", "2026-03-03T11:30:00+00:00")
    assert types(api.ok("/appointments/A1/cancel", {"reason": "patient called"}))[0] == "AppointmentCancelled"
    assert types(api.ok("/appointments/A2/no-show")) == ["AppointmentNoShow"]
    assert api.get("/appointments/A1").json()["status"] == "cancelled"


def test_a_booking_without_an_id_gets_one(api: Api):
    body = _booking("x")
    del body["appointment_id"]
    created = api.ok("/appointments", body)
    assert api.get(f"/appointments/{created['id']}").json()["status"] == "booked"


def test_the_actor_and_event_time_come_from_the_token_and_the_body(api: Api):
    arrival = {"visit_number": "V1", "patient": {"sex": "F"}, "occurred_at": "2026-11-01T07:00:00-05:00"}
    visit = api.ok("/encounters", arrival)["id"]
    token_headers = api.headers(role="provider", sub="dr-kim")
    response = api.client.post(
        f"/api/v1/facilities/fac-1/encounters/{visit}/triage",
        json={"esi": 3, "occurred_at": "2026-11-01T08:00:00-05:00", "correlation_id": "c-1"},
        headers=token_headers,
    )
    assert response.status_code == 200, response.text
    last = api.hospital.recorder.select_notifications(start=api.position(), limit=1)[0]
    envelope = to_envelope(last, api.hospital.mapper.to_domain_event(last))
    assert envelope is not None
    assert envelope.actor == Actor(id="dr-kim", role="provider")
    assert envelope.occurred_at == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    assert envelope.correlation_id == "c-1" and envelope.facility_id == "fac-1"


def test_the_actor_in_a_body_is_refused_not_recorded(api: Api):
    visit = api.arrive()
    response = api.post(f"/encounters/{visit}/triage", {"esi": 3, "actor": {"id": "someone-else", "role": "admin"}})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "actor"


def test_identity_is_shown_to_providers_and_initials_to_coordinators(api: Api):
    visit = api.arrive(given_name="Ana", family_name="Lopez", mrn="MRN-1", sex="F", age_years=41)
    full = api.get(f"/encounters/{visit}", role="provider").json()["patient"]
    assert (full["given_name"], full["family_name"], full["mrn"]) == ("Ana", "Lopez", "MRN-1")
    minimal = api.get(f"/encounters/{visit}", role="coordinator").json()["patient"]
    assert minimal == {"initials": "A.L.", "age_years": 41, "sex": "F"}


def test_a_partial_identity_correction_keeps_the_rest(api: Api):
    visit = api.arrive(given_name="Ana", family_name="Lopez", mrn="MRN-1", sex="F")
    assert api.patch(f"/encounters/{visit}", {"patient": {"family_name": "López-Ruiz"}}).status_code == 200
    patient = api.get(f"/encounters/{visit}", role="intake").json()["patient"]
    assert (patient["given_name"], patient["family_name"], patient["mrn"], patient["sex"]) == (
        "Ana",
        "López-Ruiz",
        "MRN-1",
        "F",
    )


def _booking(appointment_id: str) -> dict:
    from tests.services.api.conftest import book_body

    return book_body(appointment_id, "2026-03-03T09:00:00+00:00", "2026-03-03T09:30:00+00:00")
