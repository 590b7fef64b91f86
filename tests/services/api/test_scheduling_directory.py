"""The two reads the scheduling desk draws with: the facility's scheduling
directory, and the appointments of a span of days."""

from __future__ import annotations

import pytest

from tests.services.api.conftest import FACILITY, Api


def test_the_directory_lists_departments_providers_and_appointment_types(desk_api: Api):
    response = desk_api.get("/scheduling/directory", role="scheduler")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["facility"]["id"] == FACILITY and body["facility"]["time_zone"] == "America/Chicago"
    assert {"id": "im-abara", "name": "Dr. Chidi Abara", "department": "internal-medicine"} in body["providers"]
    assert {"type": "surgical-case", "department": "general-surgery", "minutes": 120} in body["appointment_types"]
    assert {"id": "orthopedics", "name": "Orthopedics"} in body["departments"]


def test_the_directory_of_a_facility_the_file_does_not_describe_is_not_found(api: Api):
    assert api.get("/scheduling/directory", role="scheduler").status_code == 404


def test_the_calendar_lists_the_days_appointments_with_their_open_checklist(api: Api):
    api.book("A1", "2026-03-03T15:00:00+00:00", "2026-03-03T15:30:00+00:00")
    api.book("A2", "2026-03-03T16:00:00+00:00", "2026-03-03T16:30:00+00:00")
    api.book("A3", "2026-03-05T15:00:00+00:00", "2026-03-05T15:30:00+00:00")
    api.ok("/appointments/A2/cancel", {"reason": "called"}, role="scheduler")
    surgery = {
        "appointment_id": "S1",
        "patient": {"given_name": "Ben", "family_name": "Okafor", "mrn": "MRN-2", "sex": "M"},
        "provider_id": "dr-cut",
        "department": "surgery",
        "appointment_type": "surgical-case",
        "start": "2026-03-03T17:00:00+00:00",
        "end": "2026-03-03T19:00:00+00:00",
    }
    api.ok("/appointments", surgery, role="scheduler")
    api.ok("/appointments/S1/checklist", {"item": "consent"}, role="scheduler")

    response = api.get("/scheduling/calendar?from=2026-03-03", role="scheduler")
    assert response.status_code == 200, response.text
    found = {a["appointment_id"]: a for a in response.json()["appointments"]}
    assert set(found) == {"A1", "S1"}  # A2 cancelled, A3 another day
    assert found["A1"]["status"] == "booked" and found["A1"]["missing"] == [] and found["A1"]["initials"]
    assert found["S1"]["missing"] == ["labs", "anaesthesia-review", "insurance-authorisation"]
    assert found["S1"]["confirmed"] is False
    wider = api.get("/scheduling/calendar?from=2026-03-03&to=2026-03-09", role="auditor").json()
    assert {a["appointment_id"] for a in wider["appointments"]} == {"A1", "S1", "A3"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-03-03&to=2026-03-02", "to"), ("from=2026-03-01&to=2026-06-01", "to"), ("from=0001-01-01", "from")],
)
def test_the_calendar_refuses_a_span_out_of_order_too_long_or_out_of_range(api: Api, query: str, field: str):
    response = api.get(f"/scheduling/calendar?{query}", role="scheduler")
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize("role", ["intake", "charge-nurse", "provider", "display"])
def test_only_schedulers_auditors_and_admins_read_the_desk(api: Api, role: str):
    assert api.get("/scheduling/calendar?from=2026-03-03", role=role).status_code == 403
    assert api.get("/scheduling/directory", role=role).status_code == 403
