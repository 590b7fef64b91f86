"""The contact log over the API: log calls, e-mails, letters and texts with a
patient, ask for a call-back (the patient is in the work queue until a later
contact does it or it is cancelled), read a patient's or an appointment's
contacts (an audited read), and refuse bad input with a specific error."""

from __future__ import annotations

from services.audit.access import access_log
from tests.services.api.conftest import Api

MRN = "MRN-2"  # book_body's patient
AS_OF = "2026-03-02T09:00:00%2B00:00"
CALL = {
    "channel": "phone",
    "direction": "outbound",
    "reason": "pre-visit instructions",
    "outcome": "no-answer",
    "occurred_at": "2026-03-02T09:00:00+00:00",
}


def due(api: Api) -> list[dict]:
    return api.get(f"/work-queue?as_of={AS_OF}", role="scheduler").json()["call_backs_due"]


def test_a_call_with_a_call_back_is_in_the_queue_until_the_call_back_is_done(api: Api):
    api.book("A1")
    body = {**CALL, "contact_id": "k1", "appointment_id": "A1", "call_back_at": "2026-03-02T15:00:00+00:00"}
    logged = api.post(f"/patients/{MRN}/contacts", body, role="scheduler")
    assert logged.status_code == 201, logged.text
    assert [e["type"] for e in logged.json()["events"]] == ["PatientContacted"]
    (row,) = due(api)
    assert row | {"logged_at": None} == {
        "contact_id": "k1",
        "mrn": MRN,
        "due": "2026-03-02T15:00:00+00:00",
        "overdue": False,
        "channel": "phone",
        "reason": "pre-visit instructions",
        "initials": "BO",
        "appointment_id": "A1",
        "logged_at": None,
    }
    done = {**CALL, "contact_id": "k2", "outcome": "reached", "call_back_of": "k1", "note": "all clear"}
    done["occurred_at"] = "2026-03-02T15:05:00+00:00"
    assert api.post(f"/patients/{MRN}/contacts", done, role="scheduler").status_code == 201
    assert due(api) == []
    # The same call-back cannot be done twice.
    again = {**done, "contact_id": "k3"}
    assert api.post(f"/patients/{MRN}/contacts", again, role="scheduler").status_code == 409


def test_a_cancelled_call_back_leaves_the_queue_and_cannot_be_cancelled_twice(api: Api):
    body = {**CALL, "contact_id": "k1", "channel": "sms", "outcome": "sent", "call_back_at": "2026-03-03T09:00:00Z"}
    assert api.post(f"/patients/{MRN}/contacts", body, role="scheduler").status_code == 201
    cancel = f"/patients/{MRN}/contacts/k1/cancel-call-back"
    assert api.post(cancel, {"reason": "patient came in"}, role="scheduler").status_code == 200
    assert due(api) == []
    assert api.post(cancel, {"reason": "again"}, role="scheduler").status_code == 409
    assert api.post(f"/patients/{MRN}/contacts/nope/cancel-call-back", {"reason": "x"}).status_code == 404
    assert api.post("/patients/MRN-unknown/contacts/k1/cancel-call-back", {"reason": "x"}).status_code == 404


def test_reading_the_log_per_patient_and_per_appointment_is_audited(api: Api):
    api.book("A1")
    api.ok(f"/patients/{MRN}/contacts", {**CALL, "contact_id": "k1", "appointment_id": "A1", "note": "spoke to son"})
    api.ok(f"/patients/{MRN}/contacts", {**CALL, "contact_id": "k2", "channel": "letter", "outcome": "sent"})
    patient = api.get(f"/patients/{MRN}/contacts", role="scheduler").json()
    assert [c["contact_id"] for c in patient["contacts"]] == ["k1", "k2"]
    first = patient["contacts"][0]
    assert (first["by"], first["note"], first["at"]) == (
        {"id": "user-7", "role": "admin"},
        "spoke to son",
        "2026-03-02T09:00:00+00:00",
    )
    appointment = api.get("/appointments/A1/contacts", role="auditor").json()
    assert [c["contact_id"] for c in appointment["contacts"]] == ["k1"]
    reads = {(e.role, e.resource, e.resource_id, e.refs()) for e in access_log(api.hospital, facility_id="fac-1")}
    assert ("scheduler", "contacts.read-patient", MRN, ()) in reads  # the read itself
    assert ("scheduler", "contacts.read-patient", MRN, (f"Patient/{MRN}",)) in reads  # what it disclosed
    assert ("auditor", "contacts.read-appointment", "A1", ()) in reads
    assert api.get("/patients/MRN-none/contacts").json() == {"mrn": "MRN-none", "contacts": []}
    assert api.get("/appointments/nope/contacts").status_code == 404


def test_bad_input_is_a_422_and_records_nothing(api: Api):
    before = api.position()
    cases = {
        "channel": {**CALL, "channel": "pigeon"},
        "direction": {**CALL, "direction": "sideways"},
        "note": {**CALL, "note": "x" * 281},
        "call_back_at": {**CALL, "call_back_at": "2026-03-02T08:00:00+00:00"},
        "reason": {**CALL, "reason": "   "},
    }
    for field, body in cases.items():
        response = api.post(f"/patients/{MRN}/contacts", body, role="scheduler")
        assert response.status_code == 422, (field, response.text)
        assert field in {f["field"] for f in response.json()["error"]["details"]["fields"]}, field
    assert api.post("/patients/MRN%20X/contacts", CALL).status_code == 422  # MRN outside the path's pattern
    assert api.position() == before


def test_an_appointment_of_another_patient_is_refused(api: Api):
    api.book("A1")
    body = {**CALL, "appointment_id": "A1"}
    response = api.post("/patients/MRN-other/contacts", body, role="scheduler")
    assert response.status_code == 422 and "another patient" in response.json()["error"]["message"]
    assert api.post(f"/patients/{MRN}/contacts", {**CALL, "appointment_id": "nope"}).status_code == 404


def test_who_may_log_and_read(api: Api):
    assert api.post(f"/patients/{MRN}/contacts", CALL, role="provider").status_code == 403
    assert api.get(f"/patients/{MRN}/contacts", role="intake").status_code == 403
    assert api.get(f"/patients/{MRN}/contacts", role="auditor").status_code == 200
