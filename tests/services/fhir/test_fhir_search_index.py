"""The sorted indexes a search answers from give exactly what judging every
visit (or appointment) one by one gives: for random status, practitioner and
`date` queries, after random later changes that move a row to another
status, end or start, and with rows whose times cannot be ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import urlencode
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from services.fhir.bundle import matching
from services.fhir.finders import ENCOUNTER_STATUSES
from services.fhir.index import ENDED, AppointmentKeys, VisitKeys, appointment_table, visit_table
from services.fhir.search import DateTest, date_tests, period_filter
from services.fhir.selecting import select
from tests.services.fhir.conftest import ADA, BASE, meta

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ZONES = st.sampled_from([UTC, UTC, UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)), None])


def moment(hours: int, zone: timezone | None) -> datetime:
    """Whole hours over ten days, so that many fall on the edges of the days searched;
    no zone gives a time that cannot be ordered (a damaged record)."""
    at = T0 + timedelta(hours=hours)
    return at.replace(tzinfo=None) if zone is None else at.astimezone(zone)


MOMENTS = st.builds(moment, st.one_of(st.integers(0, 240), st.integers(0, 10).map(lambda day: 24 * day)), ZONES)
STATUSES = sorted(ENCOUNTER_STATUSES)
VALUES = st.one_of(
    st.integers(0, 11).map(lambda d: f"{(T0 + timedelta(days=d)).date()}"),
    st.integers(0, 240).map(lambda h: (T0 + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2026-03", "2026-02", "2026"]),
)
TESTS = st.lists(st.tuples(st.sampled_from(["", "eq", "ne", "ge", "gt", "le", "lt"]), VALUES), max_size=2)
CHANGES = st.lists(st.tuples(st.integers(0, 1_000), st.sampled_from(STATUSES), MOMENTS), max_size=25)


def parsed(tests: list[tuple[str, str]]) -> list[DateTest]:
    return date_tests(SimpleNamespace(query_params=QueryParams(urlencode([("date", p + v) for p, v in tests]))))


def one_by_one(kind: str, rows, keep) -> list[int]:
    """The brute force the index replaces: every row judged, oldest first."""
    return [row.position for row in matching(kind, sorted(rows, key=lambda r: r.position), keep)]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(STATUSES), MOMENTS), min_size=0, max_size=30),
    CHANGES,
    st.one_of(st.none(), st.sets(st.sampled_from(STATUSES), min_size=1, max_size=3)),
    TESTS,
)
def test_indexed_encounter_search_is_the_brute_force_filter(created, changes, statuses, raw_tests):
    table = visit_table()
    for n, (status, start) in enumerate(created):
        table.put(VisitKeys(10 * n + 1, UUID(int=n + 1), status, start, start))
    for pick, status, at in changes if created else []:
        visit = table.rows[UUID(int=pick % len(created) + 1)]
        table.put(visit._replace(status=status, changed_at=at))  # moves it to another status and end
    tests = parsed(raw_tests)
    in_range = period_filter(tests)

    def keep(k: VisitKeys) -> bool:
        return (statuses is None or k.status in statuses) and in_range(k.start, k.end)

    assert select("Encounter", table, keep, [("status", statuses)], tests) == one_by_one(
        "Encounter", table.rows.values(), keep
    )
    assert table.order == sorted(r.position for r in table.rows.values())
    orderable = [r for r in table.rows.values() if r.position not in table.odd]
    assert sorted(table.open) == table.open == sorted(r.position for r in orderable if r.status not in ENDED)
    assert sorted(table.ends.positions) == sorted(r.position for r in orderable if r.status in ENDED)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["booked", "cancelled", "fulfilled"]), st.sampled_from("abc"), MOMENTS), max_size=30
    ),  # fmt: skip
    st.lists(
        st.tuples(st.integers(0, 1_000), st.sampled_from(["booked", "noshow"]), st.sampled_from("abd"), MOMENTS),
        max_size=25,
    ),  # fmt: skip
    st.one_of(st.none(), st.sets(st.sampled_from(["booked", "cancelled", "noshow"]), min_size=1)),
    st.one_of(st.none(), st.sets(st.sampled_from("abcd"), min_size=1)),
    TESTS,
)
def test_indexed_appointment_search_is_the_brute_force_filter(created, changes, statuses, providers, raw_tests):
    table = appointment_table()
    for n, (status, provider, start) in enumerate(created):
        table.put(AppointmentKeys(n + 1, UUID(int=n + 1), f"ap-{n}", status, start, provider))
    for pick, status, provider, start in changes if created else []:
        appointment = table.rows[UUID(int=pick % len(created) + 1)]
        table.put(appointment._replace(status=status, provider_id=provider, start=start))  # a reschedule moves it
    tests = parsed(raw_tests)
    in_range = period_filter(tests)

    def keep(k: AppointmentKeys) -> bool:
        return (
            (statuses is None or k.status in statuses)
            and in_range(k.start, k.start)
            and (providers is None or k.provider_id in providers)
        )

    found = select("Appointment", table, keep, [("status", statuses), ("practitioner", providers)], tests)
    assert found == one_by_one("Appointment", table.rows.values(), keep)


def test_a_discharge_then_its_cancellation_moves_the_visit_in_the_search(scenario, scenario_hospital, reader):
    """Through the real store: the index folds each change as it is recorded."""
    client = reader("provider")

    def visits(query: str) -> list[str]:
        body = client.get(f"{BASE}/Encounter?{query}").json()
        assert body["total"] == len(body.get("entry", []))
        return sorted(e["resource"]["identifier"][0]["value"] for e in body.get("entry", []))

    assert visits("status=finished") == ["V2"] and visits("date=le2026-03-04") == ["V1", "V2", "V3"]
    scenario_hospital.discharge(meta(4, 9), scenario["V3"], "home")
    assert visits("status=finished") == ["V2", "V3"]
    assert visits("date=2026-03-04") == ["V3"]  # its period now ends on the 4th
    scenario_hospital.cancel_discharge(meta(4, 10), scenario["V3"], "wrong patient")
    assert visits("status=finished") == ["V2"] and visits("status=in-progress") == ["V1", "V3"]
    assert visits("date=2026-03-04") == [] and visits("date=gt2026-03-05") == ["V1", "V3"]
    scenario_hospital.arrive(meta(4, 11), "V4", ADA)
    assert visits("status=arrived") == ["V4"] and visits("date=ge2026-03-04&status=arrived,in-progress") == [
        "V1",
        "V3",
        "V4",
    ]
