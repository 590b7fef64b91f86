"""Bad input gets a specific answer in one shape, and records nothing."""

from __future__ import annotations

from datetime import UTC

import pytest

from tests.services.api.conftest import BASE, Api


def fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["details"]["fields"]}


def test_an_esi_outside_1_to_5_is_refused_with_the_field_named(api: Api):
    visit = api.arrive()
    before = api.position()
    response = api.post(f"/encounters/{visit}/triage", {"esi": 6})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert fields(response) == {"esi": "Input should be less than or equal to 5"}
    assert api.position() == before


def test_an_esi_sent_as_text_is_refused(api: Api):
    visit = api.arrive()
    assert "esi" in fields(api.post(f"/encounters/{visit}/triage", {"esi": "3"}))


def test_a_nested_bad_field_is_named_by_its_path(api: Api):
    response = api.post("/encounters", {"visit_number": "V1", "patient": {"sex": "X"}})
    assert response.status_code == 422
    assert list(fields(response)) == ["patient.sex"]


def test_missing_required_fields_are_each_listed(api: Api):
    response = api.post("/beds", {})
    assert response.status_code == 422
    assert set(fields(response)) == {"bed_id", "unit"}


def test_an_occurred_at_without_an_offset_is_refused(api: Api):
    visit = api.arrive()
    response = api.post(f"/encounters/{visit}/triage", {"esi": 3, "occurred_at": "2026-03-02T08:00:00"})
    assert response.status_code == 422
    assert "timezone" in fields(response)["occurred_at"]


def test_an_appointment_ending_before_it_starts_is_refused(api: Api):
    from tests.services.api.conftest import book_body

    response = api.post("/appointments", book_body("A1", "2026-03-03T10:00:00+00:00", "2026-03-03T09:00:00+00:00"))
    assert response.status_code == 422
    assert "end must be after start" in response.json()["error"]["message"]


def test_blank_and_overlong_strings_are_refused(api: Api):
    visit = api.arrive()
    assert "provider_id" in fields(api.post(f"/encounters/{visit}/provider", {"provider_id": "   "}))
    assert "reason" in fields(api.post(f"/encounters/{visit}/arrival-cancellation", {"reason": "x" * 501}))


def test_an_unknown_field_is_refused_rather_than_ignored(api: Api):
    visit = api.arrive()
    assert "esl" in fields(api.post(f"/encounters/{visit}/triage", {"esi": 3, "esl": 2}))


def test_an_empty_correction_is_refused(api: Api):
    visit = api.arrive()
    response = api.patch(f"/encounters/{visit}", {})
    assert response.status_code == 422
    assert "at least one of" in response.json()["error"]["message"]


def test_malformed_json_is_a_422_naming_the_body(api: Api):
    visit = api.arrive()
    response = api.client.post(
        f"{BASE}/encounters/{visit}/triage",
        content=b'{"esi": 3,',
        headers={**api.headers(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "not valid JSON" in fields(response)["body"]


def test_a_json_array_instead_of_an_object_is_a_422(api: Api):
    visit = api.arrive()
    assert api.post(f"/encounters/{visit}/triage", [1, 2]).status_code == 422


def test_a_body_that_is_not_json_is_a_415(api: Api):
    visit = api.arrive()
    response = api.client.post(
        f"{BASE}/encounters/{visit}/triage",
        content=b"esi=3",
        headers={**api.headers(), "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_oversized_body_is_a_413(api: Api):
    before = api.position()
    response = api.post("/encounters", {"visit_number": "V1", "patient": {}, "chief_complaint": "x" * 70_000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert api.position() == before


@pytest.mark.parametrize(
    "path",
    ["/encounters/not-a-uuid", "/encounters/8f14e45f-ceea-467f-a0e6-5a7c2e1f3b91", "/beds/NOPE", "/appointments/NOPE"],
)
def test_an_unknown_id_is_a_404(api: Api, path: str):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_command_on_an_unknown_visit_is_a_404(api: Api):
    response = api.post("/encounters/8f14e45f-ceea-467f-a0e6-5a7c2e1f3b91/triage", {"esi": 2})
    assert response.status_code == 404
    assert "visit" in response.json()["error"]["message"]


def test_a_visit_of_another_facility_is_not_found_here(api: Api):
    visit = api.arrive()
    other = api.client.get(f"/api/v1/facilities/fac-2/encounters/{visit}", headers=api.headers(facilities=("*",)))
    assert other.status_code == 404


def test_an_occupied_bed_is_a_409_bed_not_available(api: Api):
    api.register_bed("ED-1")
    first, second = api.arrive("V1"), api.arrive("V2")
    api.ok(f"/encounters/{first}/bed", {"bed_id": "ED-1"})
    before = api.position()
    response = api.post(f"/encounters/{second}/bed", {"bed_id": "ED-1"})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "bed_not_available",
        "message": "bed ED-1 is occupied by another patient",
        "details": {"bed_id": "ED-1", "status": "occupied"},
    }
    assert api.position() == before


def test_a_closed_visit_is_a_409_encounter_closed(api: Api):
    visit = api.arrive()
    api.ok(f"/encounters/{visit}/discharge", {"disposition": "home"})
    response = api.post(f"/encounters/{visit}/triage", {"esi": 2})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "encounter_closed")


def test_a_taken_slot_is_a_409_slot_already_booked(api: Api):
    api.book("A1")
    response = api.post(
        "/appointments", {**_booking("A2"), "start": "2026-03-03T09:15:00+00:00", "end": "2026-03-03T09:45:00+00:00"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "slot_already_booked")


def test_registering_a_bed_twice_is_a_409_already_exists(api: Api):
    api.register_bed("ED-1")
    response = api.post("/beds", {"bed_id": "ED-1", "unit": "ED-A"})
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_exists")


def test_an_unknown_route_answers_in_the_error_shape(api: Api):
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_answers_in_the_error_shape(api: Api):
    response = api.client.delete(f"{BASE}/beds/ED-1", headers=api.headers())
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")


def _booking(appointment_id: str) -> dict:
    from tests.services.api.conftest import book_body

    return book_body(appointment_id, "2026-03-03T09:00:00+00:00", "2026-03-03T09:30:00+00:00")


def test_a_coverage_period_that_ends_before_it_starts_is_refused(api: Api):
    api.book("A1")
    coverage = {"payer": "Acme", "member_id": "M1", "effective_from": "2026-02-01", "effective_to": "2026-01-01"}
    response = api.post("/appointments/A1/insurance-verification", {"coverage": coverage})
    assert response.status_code == 422
    assert fields(response) == {"coverage": "effective_to is before effective_from"}


def test_an_unexpected_failure_is_a_500_in_the_error_shape_without_patient_data(sqlite_settings, caplog):
    """A store closed under the app is not a case any route handles: the last resort answers."""
    from fastapi.testclient import TestClient

    from services.api.app import create_app
    from services.hospital import Hospital
    from tests.services.api.conftest import with_secret

    settings = with_secret(sqlite_settings)
    hospital = Hospital(settings)
    client = TestClient(create_app(settings, hospital), raise_server_exceptions=False)
    api = Api(client, settings, hospital)
    hospital.close()
    response = api.post("/encounters", {"visit_number": "V1", "patient": {"family_name": "Zyxwoski", "sex": "F"}})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "unexpected server error; it was logged", "details": {}}
    }
    assert "Zyxwoski" not in caplog.text and "Traceback" not in response.text
    assert any("unexpected" in r.getMessage() for r in caplog.records)


def test_a_command_dated_beyond_the_clock_skew_allowance_is_refused_and_records_nothing(sqlite_settings):
    from datetime import datetime, timedelta

    from fastapi.testclient import TestClient

    from base.auth import mint_token
    from services.api.app import create_app

    app = create_app(sqlite_settings)
    headers = {"Authorization": "Bearer " + mint_token(sqlite_settings, "ann", "intake", ["fac-1"])}
    with TestClient(app) as client:
        soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
        later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        ok = client.post(
            "/api/v1/facilities/fac-1/encounters",
            json={"visit_number": "V1", "patient": {}, "occurred_at": soon},
            headers=headers,
        )
        refused = client.post(
            "/api/v1/facilities/fac-1/encounters",
            json={"visit_number": "V2", "patient": {}, "occurred_at": later},
            headers=headers,
        )
        before = app.state.hospital.recorder.max_notification_id()
    assert ok.status_code == 201
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "occurred_at"
    assert "in the future" in refused.json()["error"]["message"]
    assert before == 1
