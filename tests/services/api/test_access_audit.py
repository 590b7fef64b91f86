"""Every read of a patient's data through the API or FHIR is in the access log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from base.auth import mint_token
from deploy.server import build_app as create_app
from services.audit.access import access_log
from services.audit.verify import verify


def test_api_and_fhir_reads_are_logged_with_who_what_and_where(sqlite_settings):
    app = create_app(sqlite_settings)
    with TestClient(app) as client:
        intake = {"Authorization": "Bearer " + mint_token(sqlite_settings, "nurse-ann", "intake", ["fac-1"])}
        provider = {"Authorization": "Bearer " + mint_token(sqlite_settings, "dr-bo", "provider", ["fac-1"])}
        arrived = client.post(
            "/api/v1/facilities/fac-1/encounters",
            json={"visit_number": "V1", "patient": {"family_name": "Doe", "sex": "F"}},
            headers=intake,
        )
        assert arrived.status_code == 201
        encounter_id = arrived.json()["id"]
        assert client.get(f"/api/v1/facilities/fac-1/encounters/{encounter_id}", headers=provider).status_code == 200
        assert client.get(f"/fhir/R4/fac-1/Encounter/{encounter_id}", headers=provider).status_code == 200
        hospital = app.state.hospital
        entries = list(access_log(hospital, facility_id="fac-1"))
        assert verify(hospital).intact
    assert [(e.actor_id, e.role, e.resource, e.resource_id) for e in entries] == [
        ("dr-bo", "provider", "encounters.read", encounter_id),
        ("dr-bo", "provider", "fhir/Encounter", encounter_id),
    ]
    assert all(e.client for e in entries)


def test_refused_reads_are_not_logged_as_disclosures(sqlite_settings):
    app = create_app(sqlite_settings)
    with TestClient(app) as client:
        scheduler = {"Authorization": "Bearer " + mint_token(sqlite_settings, "s", "scheduler", ["fac-2"])}
        assert client.get("/api/v1/facilities/fac-1/encounters/x", headers=scheduler).status_code == 403
        assert list(access_log(app.state.hospital)) == []
