"""Whatever JSON arrives at a command route, the answer is never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.api.conftest import BASE, Api
from tests.services.api.test_permissions import requests_by_route

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
odd_strings = st.sampled_from(
    [
        "",
        " ",
        "2026-03-02T08:00:00",
        "2026-03-02T08:00:00+00:00",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00-12:00",
        "ED-1",
        "x" * 600,
        "\u0000",
        "-1",
        "1e400",
        "null",
    ]
)
field_values = json_values | odd_strings | st.integers(min_value=-(2**70), max_value=2**70)


def body_like(template: dict | None) -> st.SearchStrategy:
    """Junk of any shape, or the route's own field names holding junk values."""
    keys = sorted((template or {}).keys()) + ["patient", "occurred_at", "correlation_id", "coverage"]
    shaped = st.dictionaries(st.sampled_from(keys), field_values, max_size=len(keys))
    return json_values | shaped


def test_random_json_at_every_command_route_never_gets_a_500(api: Api):
    api.register_bed("ED-1")
    visit = api.arrive("V1")
    api.book("A1")
    commands = [(m, p, b) for m, p, b in requests_by_route(visit).values() if m != "GET"]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from(commands).flatmap(lambda c: st.tuples(st.just(c), body_like(c[2]))))
    def throw(case):
        (method, path, _), body = case
        response = api.client.request(
            method,
            BASE + path,
            content=json.dumps(body).encode(),
            headers={**api.headers(), "content-type": "application/json"},
        )
        assert response.status_code < 500, response.text
        assert set(response.json()) <= {"error", "id", "events"}

    throw()


def test_raw_bytes_at_a_command_route_never_get_a_500(api: Api):
    visit = api.arrive("V1")

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.binary(max_size=200))
    def throw(raw):
        response = api.client.post(
            f"{BASE}/encounters/{visit}/triage",
            content=raw,
            headers={**api.headers(), "content-type": "application/json"},
        )
        assert response.status_code in (200, 409, 422), response.text

    throw()
