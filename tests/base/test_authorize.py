"""base.access.authorize(): the one authorization path. Each refusal with its
status, and the four ways in (API, FHIR, board routes, board WebSocket)
refusing the same bad inputs the same way."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import jwt
import pytest
import websockets
from fastapi import FastAPI
from fastapi.testclient import TestClient

from base.access import FACILITY_ID_MAX_LENGTH, FACILITY_ID_PATTERN, MISSING_TOKEN, Denied, authorize, bearer_token
from base.auth import Principal, mint_token
from base.settings import Settings
from dashboard.app import attach
from dashboard.board_socket import MISSING_TOKEN as SOCKET_MISSING_TOKEN
from services.api.app import create_app
from services.fhir.router import router as fhir_router

SECRET = "authorize-test-secret-0123456789abcdef"


@pytest.fixture
def secret_settings(sqlite_settings: Settings) -> Settings:
    return sqlite_settings.model_copy(update={"jwt_secret": SECRET})


def token(settings: Settings, role: str = "charge-nurse", facilities: tuple[str, ...] = ("demo",)) -> str:
    return mint_token(settings, "user-1", role, list(facilities))


def denial(settings: Settings, bearer: str | None, route: str, facility: str | None) -> Denied:
    with pytest.raises(Denied) as refused:
        authorize(bearer, route, facility, settings)
    return refused.value


# --- authorize() itself -------------------------------------------------------


def test_a_good_token_for_an_allowed_route_and_facility_is_its_principal(secret_settings: Settings):
    principal = authorize(token(secret_settings), "beds.read", "demo", secret_settings)
    assert principal == Principal("user-1", "charge-nurse", ("demo",))


def test_a_route_about_no_facility_checks_token_and_role_only(secret_settings: Settings):
    display = token(secret_settings, "display")
    assert authorize(display, "board.facilities", None, secret_settings).role == "display"


def test_a_token_for_all_facilities_is_valid_for_any_well_formed_one(secret_settings: Settings):
    everywhere = token(secret_settings, "admin", ("*",))
    longest = "f" * FACILITY_ID_MAX_LENGTH
    assert authorize(everywhere, "beds.read", longest, secret_settings).subject == "user-1"


@pytest.mark.parametrize("missing", [None, ""])
def test_no_token_is_a_401(secret_settings: Settings, missing: str | None):
    refused = denial(secret_settings, missing, "beds.read", "demo")
    assert (refused.status, refused.code, refused.check, refused.message) == (
        401,
        "unauthorized",
        "missing-token",
        MISSING_TOKEN,
    )


def test_a_forged_or_expired_token_is_a_401_saying_why(secret_settings: Settings):
    forged = token(secret_settings.model_copy(update={"jwt_secret": "another-secret-0123456789abcdef-01"}))
    now = int(time.time())
    claims = {"sub": "u", "role": "admin", "facilities": ["demo"], "iat": now - 7200, "exp": now - 3600}
    claims |= {"iss": secret_settings.jwt_issuer, "aud": secret_settings.jwt_audience}
    expired = jwt.encode(claims, SECRET, algorithm="HS256")
    for bad, reason in ((forged, "token signature is not valid"), (expired, "token expired"), ("x.y.z", "malformed")):
        refused = denial(secret_settings, bad, "beds.read", "demo")
        assert (refused.status, refused.code, refused.check) == (401, "unauthorized", "invalid-token")
        assert reason in refused.message


def test_a_role_the_route_does_not_allow_is_a_403(secret_settings: Settings):
    refused = denial(secret_settings, token(secret_settings, "display"), "beds.read", "demo")
    assert (refused.status, refused.code, refused.check) == (403, "forbidden", "role")
    assert refused.message == "role display may not call beds.read"


def test_a_route_missing_from_the_permissions_table_is_refused_to_everyone(secret_settings: Settings):
    refused = denial(secret_settings, token(secret_settings, "admin", ("*",)), "beds.no-such-route", "demo")
    assert (refused.status, refused.check) == (403, "role")


def test_a_token_for_other_facilities_is_a_403(secret_settings: Settings):
    refused = denial(secret_settings, token(secret_settings, facilities=("north",)), "beds.read", "demo")
    assert (refused.status, refused.code, refused.check) == (403, "forbidden", "facility")
    assert refused.message == "this token is not valid for facility demo"


@pytest.mark.parametrize("facility", ["a:b", "bad!", "-lead", ".hidden", "", "f" * (FACILITY_ID_MAX_LENGTH + 1)])
def test_a_malformed_facility_id_is_a_422_even_for_a_token_valid_everywhere(secret_settings: Settings, facility: str):
    refused = denial(secret_settings, token(secret_settings, "admin", ("*",)), "beds.read", facility)
    assert (refused.status, refused.code, refused.check) == (422, "invalid", "facility-id")
    assert refused.message.startswith("facility must be 1-64 letters, digits or . _ -")


def test_checks_run_in_order_token_then_role_then_facility(secret_settings: Settings):
    assert denial(secret_settings, None, "beds.read", "a:b").status == 401
    assert denial(secret_settings, token(secret_settings, "display"), "beds.read", "a:b").check == "role"
    assert denial(secret_settings, token(secret_settings, facilities=("north",)), "beds.read", "a:b").status == 422


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        (None, None),
    ],
)
def test_only_a_bearer_authorization_header_carries_a_token(header: str | None, expected: str | None):
    assert bearer_token(header) == expected


def test_the_apis_openapi_documents_the_same_facility_id_pattern(secret_settings: Settings):
    app = create_app(secret_settings)
    try:
        operation = app.openapi()["paths"]["/api/v1/facilities/{facility_id}/beds/{bed_id}"]["get"]
    finally:
        app.state.hospital.close()
    (schema,) = [p["schema"] for p in operation["parameters"] if p["name"] == "facility_id"]
    assert (schema["pattern"], schema["maxLength"]) == (FACILITY_ID_PATTERN, FACILITY_ID_MAX_LENGTH)


# --- every way in refuses the same bad inputs the same way -------------------


@dataclass(frozen=True)
class Case:
    role: str | None  # None: no token at all
    facilities: tuple[str, ...]
    facility: str

    def bearer(self, settings: Settings) -> str | None:
        return token(settings, self.role, self.facilities) if self.role else None


CASES = {
    "missing token": Case(None, (), "demo"),
    "wrong role": Case("display", ("demo",), "demo"),
    "other facility": Case("charge-nurse", ("north",), "demo"),
    "malformed facility": Case("charge-nurse", ("demo",), "a:b"),
    "malformed facility, token valid everywhere": Case("admin", ("*",), "bad!"),
}
ISSUE_CODES = {401: "login", 403: "forbidden", 422: "invalid"}


@pytest.fixture
def clients(secret_settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """The API with FHIR beside it, and the board routes (no broker needed for a refusal)."""
    api = create_app(secret_settings)
    api.include_router(fhir_router)
    board = FastAPI()
    attach(board, secret_settings)
    yield TestClient(api), TestClient(board)  # no lifespan: nothing connects to Kafka
    api.state.hospital.close()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_api_fhir_and_board_routes_refuse_as_authorize_does(secret_settings: Settings, clients, case: Case):
    api, board = clients
    bearer = case.bearer(secret_settings)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}

    expected = denial(secret_settings, bearer, "beds.read", case.facility)
    response = api.get(f"/api/v1/facilities/{case.facility}/beds/ED-1", headers=headers)
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["message"]) == (expected.status, expected.code, expected.message)
    if expected.status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")

    response = api.get(f"/fhir/R4/{case.facility}/Location", headers=headers)
    (issue,) = response.json()["issue"]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert (response.status_code, issue["code"], issue["diagnostics"]) == (
        expected.status,
        ISSUE_CODES[expected.status],
        expected.message,
    )

    expected = denial(secret_settings, bearer, "board.history", case.facility)
    response = board.get("/board/history", params={"facility": case.facility}, headers=headers)
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["message"]) == (expected.status, expected.code, expected.message)


@pytest.mark.kafka
async def test_the_board_websocket_refuses_as_authorize_does_with_a_1008_close(server, board_settings: Settings):
    for name, case in CASES.items():
        bearer = case.bearer(board_settings)
        expected = denial(board_settings, bearer, "board.watch", case.facility)
        reason = SOCKET_MISSING_TOKEN if expected.check == "missing-token" else expected.message
        async with server.connect(bearer or "", facility=case.facility) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                frame = await asyncio.wait_for(ws.recv(), 10)
                pytest.fail(f"{name}: got data before the close: {frame[:80]!r}")
        assert closed.value.rcvd is not None, name
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, reason), name
