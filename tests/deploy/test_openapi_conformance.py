"""The OpenAPI document says what the server does: schemathesis runs every
operation of the served `/openapi.json` (command API, FHIR, board and audit routes,
as `deploy.server.build_app` assembles them) with every check enabled, as
each role that may call the operation, against a real SQLite store holding
the demo facility's beds and schedules. Any failure fails the test and names the
operation, the check and a curl line that reproduces it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from base.auth import mint_token
from base.facility import load_facility
from base.permissions import ALLOWED
from base.settings import Settings
from deploy.commands.facility import load_beds, load_schedules
from deploy.server import build_app
from services.api import (
    appointments,
    beds,
    contacts,
    encounters,
    patients,
    scheduling,
    scheduling_directory,
    scheduling_grids,
    scheduling_reports,
)
from services.api.app import API_PREFIX
from services.fhir.booking import RULES as FHIR_BOOKING_RULES
from services.fhir.router import READ_ROUTE

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "facilities" / "demo.toml"
SECRET = "test-secret-for-edflow-openapi-tests-0123456789"
SEED = 20260302
MAX_EXAMPLES = 10

# Refusals of schema-valid requests for rules JSON Schema cannot state (an
# order between two fields, a bound relative to the server's clock, a span
# between two dates). Each is written in the field's or operation's
# description in the OpenAPI instead; a 422 naming one of them is expected.
RULES_NOT_IN_JSON_SCHEMA = (
    "end must be after start",
    "is in the future; at most",  # occurred_at ahead of the server's clock
    "birth_date is in the future",
    "effective_to is before effective_from",
    "to is before from",
    "to is before month",
    "a report covers at most",
    "ask for at most",  # availability span
    "an appointment lasts at most 24 hours",
    "names no visit of this facility",  # Book.encounter_id refers to a visit that must exist
    # Integers are strict: 3.0 is refused, though JSON Schema counts it as an integer.
    "Input should be a valid integer",
    "are reserved for the HL7 interface",  # Idempotency-Key prefix, in its description
    # base.input_bounds: stated in the descriptions.
    "control, bidirectional and invisible characters are not accepted",
    "before this facility's history starts",
    "days ahead",
    "(the shortest slot)",
    "years before",
    # The contact log: a call-back after the contact's own time (occurred_at,
    # default now), and an appointment of the patient in the path.
    "call_back_at is not after the contact",
    "is for another patient",
    "search by at least one of",  # the patient search needs one of its query parameters
    *FHIR_BOOKING_RULES,  # which Patient, Practitioner and Slot an Appointment names
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    # The document is served only with the docs on, and only to staff.
    settings = Settings(data_dir=tmp_path, event_store="sqlite", jwt_secret=SECRET, api_docs=True)
    # schemathesis runs the app's lifespan around its run (the board feed reads Kafka
    # meanwhile) and its end closes the store: one app per test.
    app = build_app(settings)
    facility = load_facility(DEMO)
    load_beds(app.state.hospital, facility, progress=False)
    load_schedules(app.state.hospital, facility)  # so free time is published
    yield app
    app.state.hospital.close()


# (method, path) -> route name, for the command API's routes (all under API_PREFIX).
API_ROUTES = {
    (method, API_PREFIX + route.path): route.name
    for module in (
        appointments,
        beds,
        contacts,
        encounters,
        patients,
        scheduling,
        scheduling_reports,
        scheduling_directory,
        scheduling_grids,
    )
    for route in module.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}


def permission_route(app: FastAPI, method: str, path: str) -> str:
    """The `base/permissions.py` entry whose roles may call this operation."""
    if path.startswith("/fhir/R4/"):
        if path.endswith("/metadata") or "/$bulk-publish" in path:  # no token needed: any role will do
            return "appointments.read"
        if method.upper() != "GET":  # booking over FHIR follows the command API's booking routes
            return "appointments.book" if method.upper() == "POST" else "appointments.reschedule"
        return READ_ROUTE[path.split("/")[4]]
    if path.startswith("/board/"):
        return "board." + path.split("/")[2]
    if path.startswith("/audit/"):
        return "audit." + path.split("/")[2]
    return API_ROUTES[method.upper(), path]


def conformance_schema(app: FastAPI, facility_id: str):
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            # Every path and board query names the facility the tokens are for.
            "parameters": {"facility_id": facility_id, "facility": facility_id},
            # The tokens are minted for this test only: show them so the curl lines replay.
            "output": {"sanitization": {"enabled": False}},
        }
    )
    reader = mint_token(app.state.settings, "conformance", "admin", [facility_id])
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=config, headers={"Authorization": f"Bearer {reader}"}
    )
    turn = itertools.count()
    settings = app.state.settings

    @schema.auth()
    class EachAllowedRole:
        """Each case calls as the next role allowed on its operation, in turn."""

        def get(self, case, ctx) -> str:
            roles = sorted(ALLOWED[permission_route(app, case.operation.method, case.operation.path)])
            return mint_token(settings, "conformance", roles[next(turn) % len(roles)], [facility_id])

        def set(self, case, data: str, ctx) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    @schema.hook
    def filter_failure(context, failure, case, response) -> bool:
        if failure.title != "Schema-valid request rejected" or response.status_code != 422:
            return True
        return not any(rule in response.text for rule in RULES_NOT_IN_JSON_SCHEMA)

    return schema


def run(schema) -> tuple[list[str], set[str]]:
    """Every failure as a report (operation, check, answer, curl), and the operations tested."""
    reports, tested = [], set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status != Status.SKIP:
            # Tested as a caller the server let in: some answer other than 401.
            if any(i.response and i.response.status_code != 401 for i in event.recorder.interactions.values()):
                tested.add(event.recorder.label)
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            reports.append(f"{event.label}: error while testing: {event.info.format()}")
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)) and event.status == Status.FAILURE:
            recorder = event.recorder
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    response = recorder.find_response(case_id=case_id)
                    answer = "" if response is None else f"[{response.status_code}] {response.text[:400]}\n"
                    case = recorder.cases[case_id].value
                    reports.append(
                        f"{case.operation.label} ({getattr(event, 'phase', 'fuzz')}): {check.name}: "
                        f"{failure.title}\n{failure.message}\n{answer}"
                        f"Reproduce with:\n    {check.failure_info.code_sample}\n"
                    )
    return reports, tested


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_every_operation_conforms_to_the_openapi_document(app: FastAPI):
    schema = conformance_schema(app, load_facility(DEMO).id)
    operations = {result.ok().label for result in schema.get_all_operations()}
    # One document for the whole server: the command API, the FHIR reads, the board's and the auditor's routes.
    for part in ("/api/v1/", "/fhir/R4/", "/board/", "/audit/"):
        assert any(f" {part}" in label for label in operations), f"no {part} operation in /openapi.json"
    failures, tested = run(schema)
    untested = sorted(operations - tested)
    if untested:
        failures.append(f"operations never called with an accepted token (see the errors above): {untested}")
    if failures:
        pytest.fail(f"{len(failures)} failures against /openapi.json:\n\n" + "\n".join(failures), pytrace=False)


def test_query_dates_are_iso_text_not_numbers(app: FastAPI):
    token = mint_token(app.state.settings, "conformance", "scheduler", ["demo"])
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    base = "/api/v1/facilities/demo"
    refused = client.get(f"{base}/work-queue", params={"as_of": "1772438400"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "as_of"
    assert client.get(f"{base}/reports/stats", params={"from": "20"}).status_code == 422
    assert client.get(f"{base}/work-queue", params={"as_of": "2026-03-02T08:00:00Z"}).status_code == 200


def test_a_405_allows_every_method_of_the_path(app: FastAPI):
    response = TestClient(app).put("/api/v1/facilities/demo/encounters/V1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PATCH"
