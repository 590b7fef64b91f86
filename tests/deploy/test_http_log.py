"""The serve access log in-process: route templates, never query strings or
path values; a path no route matched is not written out."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from base.auth import mint_token
from base.settings import Settings
from deploy.http_log import AccessLog, NoWebSocketLines
from services.api.app import create_app
from services.fhir.router import router
from services.hospital import Hospital

SECRET = "http-log-test-secret-0123456789abcdef"


@pytest.fixture
def client(sqlite_settings: Settings):
    settings = sqlite_settings.model_copy(update={"jwt_secret": SECRET})
    hospital = Hospital(settings)
    app = create_app(settings, hospital)
    app.include_router(router)
    token = mint_token(settings, "dr-1", "provider", ["demo"])
    yield TestClient(AccessLog(app), headers={"Authorization": f"Bearer {token}"})
    hospital.close()


def test_requests_are_logged_by_route_template(client: TestClient, caplog):
    caplog.set_level(logging.INFO, logger="edflow.http")
    client.get("/fhir/R4/demo/Coverage", params={"patient": "MRN-777"})
    client.get("/fhir/R4/demo/Encounter/MRN-777")
    client.get("/api/v1/facilities/demo/beds/MRN-777")
    client.get("/api/v1/facilities/demo/no-such-things/MRN-777", params={"name": "Quasimodo"})
    lines = [r.getMessage() for r in caplog.records if r.name == "edflow.http"]
    assert [line.split(" - ", 1)[1].rsplit(" ", 1)[0] for line in lines] == [
        '"GET /fhir/R4/{facility_id}/Coverage" 200',
        '"GET /fhir/R4/{facility_id}/Encounter/{encounter_id}" 404',
        '"GET /api/v1/facilities/{facility_id}/beds/{bed_id}" 404',
        '"GET (no route)" 404',
    ]
    assert not any("MRN-777" in line or "Quasimodo" in line for line in lines)


def test_uvicorns_websocket_lines_are_dropped():
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]', ("1.2.3.4:5", "/ws?mrn=1"), None
    )
    assert NoWebSocketLines().filter(record) is False
    other = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (1,), None)
    assert NoWebSocketLines().filter(other) is True
