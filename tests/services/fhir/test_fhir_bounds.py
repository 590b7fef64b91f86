"""FHIR reads at the edges: a `date` at year 1 or 9999 answers (an empty
match where nothing is that old or new), never 500; and an appointment
shorter than a slot is refused at booking, so the Appointment search (whose
minutesDuration is a positiveInt) keeps answering."""

from __future__ import annotations

import pytest

from tests.services.api.conftest import BASE as API
from tests.services.api.conftest import book_body
from tests.services.fhir.conftest import BASE, client_for


@pytest.mark.parametrize(
    "value",
    ["9999", "9999-12", "9999-12-31", "ge9999-12-31T23:59:59+00:00", "gt9999", "0001", "lt0001-01-01", "ne9999"],
)
@pytest.mark.parametrize("kind", ["Appointment", "Encounter"])
def test_a_date_at_the_ends_of_the_calendar_answers(scenario, reader, kind, value):
    response = reader("admin").get(f"{BASE}/{kind}", params={"date": value})
    assert response.status_code == 200, response.text
    if value[0].isdigit():  # eq: nothing in the scenario lies within year 1 or 9999
        assert response.json().get("entry", []) == []


def test_an_appointment_shorter_than_a_minute_is_refused_and_the_search_still_answers(
    scenario, fhir_app, sqlite_settings
):
    client = client_for(fhir_app, sqlite_settings, "admin")
    body = book_body("short", "2026-03-03T09:00:00+00:00", "2026-03-03T09:00:30+00:00")
    response = client.post(API.replace("fac-1", "fac-fhir") + "/appointments", json=body)
    assert response.status_code == 422, response.text
    assert client.get(f"{BASE}/Appointment").status_code == 200
