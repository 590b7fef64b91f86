"""Properties of the input bounds through the HTTP API (hypothesis): any value
accepted is folded into the board without error; any value refused records
nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base.input_bounds import text_problem
from base.settings import Settings
from base.store_log import envelopes
from events.catalogue import PatientArrived
from projections.fold import fold_into
from projections.work_queue_reader import WorkQueueReader
from services.api.app import create_app
from services.hospital import Hospital
from tests.services.api.conftest import Api, with_secret

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), ZoneInfo("America/Chicago")]
)
NOW = datetime.now(UTC).replace(tzinfo=None)
# Anywhere in the calendar, and densely around the window's two edges.
MOMENTS = st.one_of(
    st.datetimes(timezones=ZONES),
    st.datetimes(min_value=datetime(1999, 12, 31), max_value=datetime(2000, 1, 2), timezones=ZONES),
    st.datetimes(min_value=NOW - timedelta(hours=1), max_value=NOW + timedelta(hours=1), timezones=ZONES),
)
some = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def sqlite_api(sqlite_settings: Settings) -> Iterator[Api]:
    configured = with_secret(sqlite_settings)
    hospital = Hospital(configured)
    with TestClient(create_app(configured, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, configured, hospital)
    hospital.close()


visits = itertools.count()


def arrive(api: Api, **body) -> tuple[int, int]:
    """The status of one arrival and how many events it recorded."""
    before = api.position()
    payload = {"visit_number": f"V{next(visits)}", "patient": {"given_name": "Ana"}, **body}
    status = api.post("/encounters", payload).status_code
    assert status in (201, 422)
    return status, api.position() - before


@some
@given(MOMENTS)
def test_any_event_time_is_accepted_and_folds_or_is_refused_and_records_nothing(sqlite_api: Api, moment):
    status, recorded = arrive(sqlite_api, occurred_at=moment.isoformat())
    if status == 422:
        assert recorded == 0
        return
    assert datetime(2000, 1, 1, tzinfo=UTC) <= moment <= datetime.now(UTC) + timedelta(seconds=300)
    fold_into({}, envelopes(sqlite_api.hospital))


@some
@given(st.text(max_size=30), st.text(max_size=30))
def test_any_typed_text_is_accepted_and_folds_or_is_refused_and_records_nothing(sqlite_api: Api, name, complaint):
    status, recorded = arrive(sqlite_api, patient={"given_name": name}, chief_complaint=complaint)
    if status == 422:
        assert recorded == 0
        assert any(text_problem(v) or not v.strip() for v in (name, complaint))
        return
    stored = list(envelopes(sqlite_api.hospital))
    arrived: object = stored[-1].data
    assert isinstance(arrived, PatientArrived)
    assert not text_problem(arrived.patient.given_name or "") and not text_problem(arrived.chief_complaint)
    fold_into({}, stored)
