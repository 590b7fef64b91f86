"""Input bounds at the HTTP door: event times inside the facility's history
and at most a little ahead, appointments at least a slot long, plausible
birth dates, no control or bidirectional characters. A refusal is a 422
naming the field and records nothing; reads never answer 500 at the ends
of the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from base.store_log import envelopes
from events.catalogue import Person
from events.envelope import Actor
from projections.fold import fold_into
from services.hospital import Hospital
from services.recording import Meta
from tests.services.api.conftest import FACILITY, Api, book_body


def refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    fields = response.json()["error"]["details"]["fields"]
    assert [f["field"] for f in fields] == [field], fields
    return fields[0]["message"]


def folds(api: Api) -> None:
    """Everything the store holds folds into the board without raising."""
    fold_into({}, envelopes(api.hospital))


def visit(occurred_at: str | None = None, **patient) -> dict:
    body: dict = {"visit_number": "V1", "patient": patient or {"given_name": "Ana", "family_name": "Lopez"}}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    return body


@pytest.mark.parametrize(
    "occurred_at, why",
    [
        ("0001-01-01T00:00:00Z", "before this facility's history starts"),
        ("1999-12-31T23:59:59Z", "before this facility's history starts"),
        ("9999-12-31T23:59:59Z", "in the future"),
        ("2099-01-01T00:00:00Z", "in the future"),
    ],
)
def test_an_event_time_outside_the_window_is_refused_and_nothing_recorded(api: Api, occurred_at, why):
    before = api.position()
    assert why in refused(api.post("/encounters", visit(occurred_at)), "occurred_at")
    assert api.position() == before
    folds(api)


def test_the_history_start_is_a_setting(api: Api):
    api.settings.history_start = date(2026, 1, 1)
    try:
        message = refused(api.post("/encounters", visit("2025-12-31T12:00:00Z")), "occurred_at")
    finally:
        api.settings.history_start = date(2000, 1, 1)
    assert "2026-01-01, EDFLOW_HISTORY_START" in message
    assert api.post("/encounters", visit("2000-01-01T00:00:00Z")).status_code == 201


def test_a_booking_in_year_one_is_refused_and_the_queue_and_reports_still_answer(api: Api):
    body = book_body("A1", "0001-01-01T00:00:00+00:00", "0001-01-01T00:30:00+00:00")
    before = api.position()
    assert "before this facility's history starts" in refused(api.post("/appointments", body), "start")
    assert api.position() == before
    assert api.get("/work-queue").status_code == 200
    assert api.get("/reports/schedule?from=2026-03-03").status_code == 200


@pytest.mark.parametrize("end", ["2026-03-03T09:00:30+00:00", "2026-03-03T09:04:59+00:00"])
def test_an_appointment_shorter_than_a_slot_is_refused(api: Api, end):
    before = api.position()
    assert "at least 5 minutes" in refused(
        api.post("/appointments", book_body("A1", "2026-03-03T09:00:00+00:00", end)), "end"
    )
    assert api.position() == before


def test_a_reschedule_shorter_than_a_slot_is_refused(api: Api):
    api.book("A1")
    before = api.position()
    move = {"start": "2026-03-04T09:00:00+00:00", "end": "2026-03-04T09:01:00+00:00"}
    refused(api.post("/appointments/A1/reschedule", move), "end")
    assert api.position() == before


@pytest.mark.parametrize(
    "query, field",
    [
        ("/work-queue?as_of=0001-01-01T00:00:00Z", "as_of"),
        ("/work-queue?as_of=0001-01-01T12:00:00%2B14:00", "as_of"),
        ("/work-queue?as_of=9999-12-31T23:59:59Z", "as_of"),
        ("/reports/schedule?from=9999-12-31", "from"),
        ("/reports/stats?from=0001-01-01&to=0001-12-31", "from"),
        ("/reports/stats?from=2026-01-01&to=9999-01-01", "to"),
    ],
)
def test_reads_at_the_ends_of_the_calendar_answer_422_not_500(api: Api, query, field):
    api.book("A1")
    refused(api.get(query), field)


@pytest.mark.parametrize(
    "patient, field",
    [
        ({"given_name": "Ana\u202eB"}, "patient.given_name"),  # right-to-left override
        ({"family_name": "Lo\x00pez"}, "patient.family_name"),  # NUL
        ({"given_name": "A\u200bna"}, "patient.given_name"),  # zero-width space
        ({"mrn": "MRN\u2066-1"}, "patient.mrn"),  # left-to-right isolate
    ],
)
def test_control_and_bidirectional_characters_in_names_are_refused(api: Api, patient, field):
    before = api.position()
    assert "U+" in refused(api.post("/encounters", visit(None, **patient)), field)
    assert api.position() == before


@pytest.mark.parametrize("complaint", ["chest\npain", "chest\u202epain", "chest pain\x07"])
def test_control_characters_in_free_text_are_refused(api: Api, complaint):
    body = {**visit(), "chief_complaint": complaint}
    refused(api.post("/encounters", body), "chief_complaint")
    refused(
        api.post(
            "/appointments",
            {**book_body("A1", "2026-03-03T09:00:00+00:00", "2026-03-03T09:30:00+00:00"), "reason": complaint},
        ),
        "reason",
    )


def test_names_in_other_scripts_are_accepted(api: Api):
    # Persian spelling needs the zero-width non-joiner; accents and CJK are ordinary letters.
    api.ok("/encounters", visit(None, given_name="مهر\u200cانگیز", family_name="Ñúñez 李"))


def test_a_birth_date_more_than_130_years_before_the_event_is_refused(api: Api):
    before = api.position()
    response = api.post("/encounters", visit("2026-03-02T08:00:00Z", given_name="Ana", birth_date="1896-03-01"))
    assert "more than 130 years before 2026-03-02" in refused(response, "patient.birth_date")
    assert api.position() == before
    api.ok("/encounters", visit("2026-03-02T08:00:00Z", given_name="Ana", birth_date="1896-03-02"))


def test_a_birth_date_after_a_backdated_event_is_refused(api: Api):
    response = api.post("/encounters", visit("2020-05-01T08:00:00Z", given_name="Ana", birth_date="2021-01-01"))
    assert refused(response, "patient.birth_date").startswith("birth date 2021-01-01 is after 2020-05-01")


def test_extreme_times_already_in_an_old_store_stop_neither_the_fold_nor_the_reads(api: Api):
    """A store written before the bounds existed: arrivals at both ends of the
    calendar and a booking in year 1, recorded through the write model with
    its window opened wide."""
    old = Hospital(api.settings.model_copy(update={"history_start": date(1, 1, 1)}))
    year_one, year_9999 = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=UTC)
    try:
        for visit_number, at in (("V0", year_one), ("V9", year_9999)):
            old.arrive(old_meta(at), visit_number, Person(given_name="Ada"))
        old.book(old_meta(year_one), Person(given_name="Ada"), "dr-old", "ortho", "ed-follow-up", year_one,
                 year_one + timedelta(hours=1), appointment_id="old-1")  # fmt: skip
    finally:
        old.close()
    folds(api)
    assert api.get("/work-queue").status_code == 200
    assert api.get("/work-queue?as_of=2000-01-01T00:00:00Z").status_code == 200
    assert api.get("/reports/schedule?from=2026-03-03").status_code == 200
    assert api.get("/reports/stats?from=2000-01-01&to=2000-12-31&period=week").status_code == 200
    api.arrive("V1")  # the board folds on past the old events
    folds(api)


def old_meta(at: datetime) -> Meta:
    return Meta(facility_id=FACILITY, occurred_at=at, actor=Actor(id="old-system", role="admin"))
