"""FHIR searches are paged (`_count`, `next` links with a stable cursor) and
answered from the facility's own records: a search at one facility never
loads another facility's aggregates, and builds only the page it returns."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.access.schedule_commands import schedule_aggregate_id
from services.ed.application import bed_aggregate_id, encounter_id_for
from tests.services.fhir.conftest import ADA, BASE, meta


def pages(client, url: str) -> list[list[str]]:
    """Visit numbers on each page, following `next` links from `url`."""
    seen: list[list[str]] = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 5
        seen.append([e["resource"]["identifier"][0]["value"] for e in body.get("entry", [])])
        next_url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        assert len(seen) < 10, "the next links do not end"
    return seen


@pytest.fixture
def five_visits(scenario, scenario_hospital):
    for visit in ("V4", "V5"):
        scenario_hospital.arrive(meta(4, 8), visit, ADA)


def test_count_pages_through_every_result_exactly_once(five_visits, reader):
    assert pages(reader("provider"), f"{BASE}/Encounter?_count=2") == [["V1", "V2"], ["V3", "V4"], ["V5"]]


def test_a_visit_recorded_between_pages_is_neither_repeated_nor_skipped(five_visits, scenario_hospital, reader):
    client = reader("provider")
    first = client.get(f"{BASE}/Encounter?_count=3").json()
    scenario_hospital.arrive(meta(4, 9), "V6", ADA)
    (link,) = [link["url"] for link in first["link"] if link["relation"] == "next"]
    second = client.get(link).json()
    assert [e["resource"]["identifier"][0]["value"] for e in first["entry"]] == ["V1", "V2", "V3"]
    assert [e["resource"]["identifier"][0]["value"] for e in second["entry"]] == ["V4", "V5", "V6"]
    assert second["total"] == 6 and [link["relation"] for link in second["link"]] == ["self"]


def test_count_zero_gives_only_the_total(five_visits, reader):
    body = reader("provider").get(f"{BASE}/Encounter?_count=0").json()
    assert body["total"] == 5 and "entry" not in body


@pytest.mark.parametrize("query", ["_count=two", "_count=-1", "_count=100000", "_cursor=x"])
def test_bad_paging_parameters_are_refused(scenario, reader, query):
    response = reader("provider").get(f"{BASE}/Encounter?{query}")
    assert response.status_code == 400 and response.json()["issue"][0]["code"] == "invalid"


@pytest.fixture
def loaded(scenario_hospital, monkeypatch) -> list[UUID]:
    """Ids of the aggregates the store is asked for, in order."""
    store = scenario_hospital.repository.event_store
    asked: list[UUID] = []
    get = store.get

    def recording_get(originator_id, *args, **kwargs):
        asked.append(originator_id)
        return get(originator_id, *args, **kwargs)

    monkeypatch.setattr(store, "get", recording_get)
    return asked


def test_a_search_never_loads_another_facilitys_aggregates(scenario, reader, loaded):
    client = reader("admin")
    for path in ("Encounter", "Encounter?status=arrived", "Appointment?date=ge2026-03-01", "Location",
                 "Schedule", "Coverage"):  # fmt: skip
        assert client.get(f"{BASE}/{path}").status_code == 200
    elsewhere = {
        encounter_id_for("elsewhere", "V9"),
        bed_aggregate_id("elsewhere", "Z1"),
        schedule_aggregate_id("elsewhere", "provider", "dr-far"),
    }
    assert loaded and not elsewhere & set(loaded)


def test_a_page_builds_only_the_visits_it_returns(five_visits, reader, loaded):
    body = reader("provider").get(f"{BASE}/Encounter?status=arrived&_count=1").json()
    assert body["total"] == 3 and len(body["entry"]) == 1
    assert [str(i) for i in loaded] == [body["entry"][0]["resource"]["id"]]
