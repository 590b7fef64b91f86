"""The real API app over a real event store (SQLite and PostgreSQL), and
callers holding real tokens of each role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from base.auth import mint_token
from base.settings import Settings
from projections.work_queue_reader import WorkQueueReader
from services.api.app import create_app
from services.hospital import Hospital

FACILITY = "fac-1"
BASE = f"/api/v1/facilities/{FACILITY}"
TEST_SECRET = "test-secret-for-edflow-api-tests-0123456789"


def with_secret(settings: Settings) -> Settings:
    return settings.model_copy(update={"jwt_secret": TEST_SECRET})


class Api:
    """A test client that calls as a given role (admin unless told)."""

    def __init__(self, client: TestClient, settings: Settings, hospital: Hospital):
        self.client, self.settings, self.hospital = client, settings, hospital

    def headers(self, role: str = "admin", facilities: tuple[str, ...] = (FACILITY,), sub: str = "user-7") -> dict:
        return {"Authorization": f"Bearer {mint_token(self.settings, sub, role, list(facilities))}"}

    def post(self, path: str, body: Any = None, role: str = "admin", **kwargs) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.post(BASE + path, json=body, headers=headers, **kwargs)

    def patch(self, path: str, body: Any, role: str = "admin") -> httpx.Response:
        return self.client.patch(BASE + path, json=body, headers=self.headers(role))

    def get(self, path: str, role: str = "admin") -> httpx.Response:
        return self.client.get(BASE + path, headers=self.headers(role))

    def ok(self, path: str, body: Any = None, role: str = "admin") -> dict:
        response = self.post(path, body, role)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def arrive(self, visit: str = "V1", **patient: Any) -> str:
        patient = patient or {"given_name": "Ana", "family_name": "Lopez", "mrn": "MRN-1", "sex": "F", "age_years": 41}
        return self.ok("/encounters", {"visit_number": visit, "patient": patient})["id"]

    def register_bed(self, bed_id: str = "ED-1") -> None:
        self.ok("/beds", {"bed_id": bed_id, "unit": "ED-A"})

    def book(
        self,
        appointment_id: str = "A1",
        start: str = "2026-03-03T09:00:00+00:00",
        end: str = "2026-03-03T09:30:00+00:00",
    ) -> dict:
        return self.ok("/appointments", book_body(appointment_id, start, end))

    def position(self) -> int:
        return self.hospital.recorder.max_notification_id() or 0


def book_body(appointment_id: str, start: str, end: str, provider: str = "dr-kim") -> dict:
    return {
        "appointment_id": appointment_id,
        "patient": {"given_name": "Ben", "family_name": "Okafor", "mrn": "MRN-2", "sex": "M"},
        "provider_id": provider,
        "department": "ortho",
        "appointment_type": "ed-follow-up",
        "start": start,
        "end": end,
    }


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return with_secret(settings)


@pytest.fixture
def api(api_settings: Settings) -> Iterator[Api]:
    hospital = Hospital(api_settings)
    # raise_server_exceptions: an unexpected exception fails the test loudly.
    with TestClient(create_app(api_settings, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, api_settings, hospital)
    hospital.close()


@pytest.fixture
def desk_api(settings: Settings, tmp_path: Path) -> Iterator[Api]:
    """The API over a facility file describing this facility (the demo's clinics)."""
    demo = Settings().facility_config.read_text()
    facility_file = tmp_path / "facility.toml"
    facility_file.write_text(demo.replace('id = "demo"', f'id = "{FACILITY}"', 1))
    api_settings = with_secret(settings).model_copy(update={"facility_config": facility_file})
    hospital = Hospital(api_settings)
    with TestClient(create_app(api_settings, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, api_settings, hospital)
    hospital.close()
