"""The API docs: off unless asked for; when on, our own page (no third-party
script, a CSP that forbids one) and an OpenAPI description for signed-in staff."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from base.settings import Settings
from services.api.app import create_app
from services.hospital import Hospital
from tests.services.api.conftest import Api


@pytest.fixture
def docs_api(api_settings: Settings) -> Iterator[Api]:
    settings = api_settings.model_copy(update={"api_docs": True})
    hospital = Hospital(settings)
    with TestClient(create_app(settings, hospital)) as client:
        yield Api(client, settings, hospital)
    hospital.close()


def test_docs_are_off_unless_asked_for(api: Api):
    assert Settings().api_docs is False
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert api.client.get(path).status_code == 404, path


def test_the_docs_page_loads_only_our_own_scripts_under_a_strict_policy(docs_api: Api):
    page = docs_api.client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "http" not in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/") for s in sources), sources
    assert "<script>" not in page.text  # nothing inline
    for source in sources:
        asset = docs_api.client.get(source)
        assert asset.status_code == 200 and asset.headers["content-security-policy"] == policy
        assert "cdn" not in asset.text.lower() and "https://" not in asset.text


def test_the_openapi_description_needs_a_staff_token(docs_api: Api):
    assert docs_api.client.get("/openapi.json").status_code == 401
    hallway_screen = docs_api.client.get("/openapi.json", headers=docs_api.headers("display"))
    assert hallway_screen.status_code == 403
    described = docs_api.client.get("/openapi.json", headers=docs_api.headers("coordinator"))
    assert described.status_code == 200
    schema = described.json()
    assert {t["name"] for t in schema["tags"]} >= {"encounters", "beds", "appointments"}
    assert "/api/v1/facilities/{facility_id}/encounters/{encounter_id}/triage" in schema["paths"]
