"""The scheduling HTTP routes on the real app and store: success shapes,
and 422/409/404/403 with specific codes, never a 500."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from projections.work_queue_reader import WorkQueueReader
from services.api.app import create_app
from services.hospital import Hospital
from tests.services.api.conftest import Api, with_secret

WEEK = {
    "department": "cardiology",
    "time_zone": "UTC",
    "hours": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)],
    "slot_lengths": {"outpatient-visit": 60},
}
PATIENT = {"given_name": "Ben", "family_name": "Okafor", "sex": "M"}


def booking(appointment_id, start, end, **extra):
    return {
        "appointment_id": appointment_id,
        "patient": PATIENT,
        "provider_id": "dr-1",
        "department": "cardiology",
        "appointment_type": extra.pop("appointment_type", "outpatient-visit"),
        "start": start,
        "end": end,
        **extra,
    }


@pytest.fixture
def api(settings) -> Iterator[Api]:
    api_settings = with_secret(settings)
    hospital = Hospital(api_settings)
    with TestClient(create_app(api_settings, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, api_settings, hospital)
    hospital.close()


def put(api, path, body, role="scheduler"):
    return api.client.put(f"/api/v1/facilities/fac-1{path}", json=body, headers=api.headers(role))


def test_availability_lists_fhir_slot_statuses_after_a_booking_and_a_block(api):
    assert put(api, "/schedules/provider/dr-1", WEEK).status_code == 200
    api.ok(
        "/schedules/provider/dr-1/blocks",
        {"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T12:00:00Z", "reason": "teaching", "block_id": "teach"},
        role="scheduler",
    )
    api.ok("/appointments", booking("A1", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"), role="scheduler")
    response = api.get("/availability/provider/dr-1?from=2026-03-02&appointment_type=outpatient-visit", role="auditor")
    assert response.status_code == 200, response.text
    assert [(s["start"][11:16], s["status"]) for s in response.json()["slots"]] == [
        ("09:00", "busy"),
        ("10:00", "free"),
        ("11:00", "busy-unavailable"),
    ]


def test_booking_outside_hours_and_in_blocked_time_get_specific_409s(api):
    put(api, "/schedules/provider/dr-1", WEEK)
    api.ok(
        "/schedules/provider/dr-1/blocks",
        {"start": "2026-03-02T11:00:00Z", "end": "2026-03-02T12:00:00Z", "reason": "x"},
    )
    late = api.post("/appointments", booking("A1", "2026-03-02T15:00:00Z", "2026-03-02T15:30:00Z"))
    blocked = api.post("/appointments", booking("A2", "2026-03-02T11:00:00Z", "2026-03-02T11:30:00Z"))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "outside_working_hours")
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (409, "time_blocked")


def test_malformed_schedule_and_queries_are_422_with_fields(api):
    bad_day = put(
        api, "/schedules/provider/dr-1", {**WEEK, "hours": [{"weekday": 7, "start": "09:00", "end": "10:00"}]}
    )
    assert [f["field"] for f in bad_day.json()["error"]["details"]["fields"]] == ["hours[0].weekday"]
    inverted_hours = put(
        api, "/schedules/provider/dr-1", {**WEEK, "hours": [{"weekday": 1, "start": "09:00", "end": "08:00"}]}
    )
    assert (inverted_hours.status_code, inverted_hours.json()["error"]["details"]["fields"][0]["field"]) == (
        422,
        "hours[0]",
    )
    zone = put(api, "/schedules/provider/dr-1", {**WEEK, "time_zone": "Mars/Base"})
    assert (zone.status_code, zone.json()["error"]["details"]["fields"][0]["field"]) == (422, "time_zone")
    put(api, "/schedules/provider/dr-1", WEEK)
    inverted = api.get("/availability/provider/dr-1?from=2026-03-05&to=2026-03-01")
    assert inverted.status_code == 422
    assert api.get("/availability/provider/nobody?from=2026-03-05").status_code == 404


def test_surgical_confirmation_waits_for_the_checklist(api):
    api.ok(
        "/appointments", booking("S1", "2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z", appointment_type="surgical-case")
    )
    refused = api.post("/appointments/S1/confirm", role="scheduler")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "checklist_incomplete")
    for item in ("consent", "labs", "anaesthesia-review", "insurance-authorisation"):
        api.ok("/appointments/S1/checklist", {"item": item}, role="scheduler")
    assert api.post("/appointments/S1/confirm", role="scheduler").status_code == 200
    unknown = api.post("/appointments/S1/checklist", {"item": "blood-type"})
    assert unknown.status_code == 422


def test_modify_moves_the_room_and_refuses_a_taken_one(api):
    api.ok("/appointments", booking("A1", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"))
    api.ok("/appointments", {**booking("A2", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"), "provider_id": "dr-2"})
    assert api.post("/appointments/A1/modify", {"room_id": "exam-1"}).status_code == 200
    taken = api.post("/appointments/A2/modify", {"room_id": "exam-1"})
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_already_booked")
    assert api.post("/appointments/A2/modify", {}).status_code == 422


def test_a_cancellation_offers_the_slot_and_the_patient_accepts_it_over_http(api):
    api.ok("/appointments", booking("A1", "2026-03-03T09:00:00Z", "2026-03-03T09:30:00Z"))
    joined = api.post(
        "/waitlist",
        {
            "entry_id": "w1",
            "patient": PATIENT,
            "department": "cardiology",
            "provider_id": "dr-1",
            "appointment_type": "outpatient-visit",
            "duration_minutes": 30,
            "contact": {"email": "ben@example.org"},
            "occurred_at": "2026-03-01T08:00:00Z",
        },
        role="scheduler",
    )
    assert joined.status_code == 201 and joined.json()["id"] == "w1"
    api.ok("/appointments/A1/cancel", {"reason": "patient request", "occurred_at": "2026-03-01T09:00:00Z"})
    listed = api.get("/waitlists/provider/dr-1", role="auditor").json()
    assert listed["entries"][0]["offer"]["start"] == "2026-03-03T09:00:00+00:00"
    assert "Okafor" not in str(listed)
    accepted = api.post(
        "/waitlists/provider/dr-1/entries/w1/accept", {"appointment_id": "B1", "occurred_at": "2026-03-01T09:30:00Z"}
    )
    assert accepted.status_code == 200 and accepted.json()["id"] == "B1"
    assert api.get("/appointments/B1").json()["status"] == "booked"
    gone = api.post("/waitlists/provider/dr-1/entries/w1/accept", {"occurred_at": "2026-03-01T09:31:00Z"})
    assert gone.status_code == 404


def test_an_expired_offer_is_a_409(api):
    api.ok("/appointments", booking("A1", "2026-03-03T09:00:00Z", "2026-03-03T09:30:00Z"))
    api.ok(
        "/waitlist",
        {
            "entry_id": "w1",
            "patient": PATIENT,
            "department": "cardiology",
            "provider_id": "dr-1",
            "appointment_type": "outpatient-visit",
            "duration_minutes": 30,
            "occurred_at": "2026-03-01T08:00:00Z",
        },
    )
    api.ok("/appointments/A1/cancel", {"reason": "ill", "occurred_at": "2026-03-01T09:00:00Z"})
    late = api.post("/waitlists/provider/dr-1/entries/w1/accept", {"occurred_at": "2026-03-01T12:00:00Z"})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "offer_expired")


def test_work_queue_and_report_downloads(api):
    api.ok(
        "/appointments",
        booking("A1", "2026-03-02T15:00:00Z", "2026-03-02T15:30:00Z", occurred_at="2026-02-27T15:00:00Z"),
    )
    api.ok(
        "/appointments",
        booking("A2", "2026-03-02T16:00:00Z", "2026-03-02T16:30:00Z", occurred_at="2026-03-01T16:00:00Z"),
    )
    api.ok("/appointments/A2/no-show", {"occurred_at": "2026-03-02T17:00:00Z"})
    queue = api.get("/work-queue?as_of=2026-03-02T12:00:00Z", role="scheduler").json()
    assert [i["appointment_id"] for i in queue["today"]["cardiology"]] == ["A1", "A2"]
    assert [(i["appointment_id"], i["lead_minutes"]) for i in queue["reminders_due"]] == [("A1", 2880)]
    stats = api.get("/reports/stats?from=2026-03-01&to=2026-03-31&format=csv", role="auditor")
    assert stats.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(stats.text)))
    # Lead times 3 and 1 days; one no-show of two.
    assert (row["appointments"], row["no_shows"], row["no_show_rate"], row["mean_lead_days"]) == (
        "2",
        "1",
        "0.5",
        "2.0",
    )
    workbook = api.get("/reports/schedule?from=2026-03-02&format=xlsx")
    assert 'filename="schedule-fac-1-2026-03-02-2026-03-02.xlsx"' in workbook.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["A1", "A2"]


def test_roles_outside_scheduling_are_forbidden(api):
    assert api.get("/work-queue", role="charge-nurse").status_code == 403
    assert put(api, "/schedules/provider/dr-1", WEEK, role="auditor").status_code == 403
    assert api.get("/reports/stats?from=2026-03-01&format=pdf", role="scheduler").status_code == 422


def test_a_booking_over_http_reserves_its_room_and_keeps_the_contact_for_reminders(api):
    body = booking(
        "A1", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", room_id="or-1", contact={"email": "ben@example.org"}
    )
    events = [e["type"] for e in api.ok("/appointments", body, role="scheduler")["events"]]
    assert events == ["AppointmentBooked", "ProviderTimeReserved", "RoomTimeReserved"]
    clash = api.post(
        "/appointments",
        {**booking("A2", "2026-03-02T09:30:00Z", "2026-03-02T10:00:00Z", room_id="or-1"), "provider_id": "dr-2"},
    )
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "slot_already_booked")
    bad = api.post(
        "/appointments",
        booking("A3", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", contact={"email": "not-an-address"}),
    )
    assert (bad.status_code, bad.json()["error"]["details"]["fields"][0]["field"]) == (422, "contact.email")
