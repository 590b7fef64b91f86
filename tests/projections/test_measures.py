"""Monthly ED measures against a month worked by hand: each visit counts in
the month it left the ED in facility time (America/Chicago here), cancelled
arrivals and visits still in the ED are not counted, and a cancelled
discharge takes a visit back out."""

from __future__ import annotations

from datetime import date

from events.catalogue import ArrivalCancelled, PatientDischarged, PatientLeftWithoutBeingSeen
from projections.measures import monthly_rows, months_between, visits
from tests.projections.stories import Story

# The story starts 2026-03-02 06:00 UTC, midnight in Chicago.
# Chicago's March 31 23:30 (CDT) is April 1 04:30 UTC: 43,110 minutes in.
MARCH_END = 43_110


def hand_month() -> Story:
    story = Story()
    v1 = story.at(0).arrive("V1")
    story.at(30).provider(v1)
    story.at(120).leave(v1, PatientDischarged(disposition="home"))
    v2 = story.at(10).arrive("V2")
    story.at(20).provider(v2)
    story.at(100).admit(v2)
    story.at(250).leave(v2, PatientDischarged(disposition="admitted", destination="ward"))
    v3 = story.at(20).arrive("V3")
    story.at(80).leave(v3, PatientLeftWithoutBeingSeen())
    v4 = story.at(30).arrive("V4")
    story.at(90).provider(v4)
    story.at(210).leave(v4, PatientDischarged(disposition="left-against-advice"))
    v5 = story.at(40).arrive("V5")  # recorded in error
    story.at(50).leave(v5, ArrivalCancelled(reason="wrong patient"), "cancelled")
    v6 = story.at(50).arrive("V6")  # discharged by mistake: still in the ED
    story.at(100).leave(v6, PatientDischarged(disposition="home"))
    story.at(110).cancel_discharge(v6)
    v8 = story.at(MARCH_END - 110).arrive("V8")  # leaves 23:30 local on March 31 (April 1 in UTC)
    story.at(MARCH_END).leave(v8, PatientDischarged(disposition="home"))
    v9 = story.at(MARCH_END - 10).arrive("V9")  # leaves 00:30 local on April 1
    story.at(MARCH_END + 60).leave(v9, PatientDischarged(disposition="transferred", destination="St Elsewhere"))
    return story


def report() -> dict[tuple[str, str, str], tuple[float | None, int]]:
    story = hand_month()
    months = months_between(date(2026, 3, 1), date(2026, 4, 1))
    rows = monthly_rows(visits(story.envelopes, "demo").values(), months, "America/Chicago")
    assert all(row["definition"] for row in rows), "every figure states what it means"
    return {(r["month"], r["disposition"], r["measure"]): (r["value"], r["visits"]) for r in rows}


def test_a_month_worked_by_hand():
    got = report()
    march = {key[1:]: value for key, value in got.items() if key[0] == "2026-03"}
    assert march[("all", "visits")] == (5, 5)  # V1 V2 V3 V4 V8
    assert march[("all", "median door-to-provider")] == (30, 3)  # 30, 10, 60
    assert march[("all", "median ED length of stay")] == (120, 5)  # 120, 240, 60, 180, 110
    assert march[("all", "LWBS rate")] == (20.0, 5)
    assert march[("discharged", "visits")] == (3, 3)  # home, against advice, home
    assert march[("discharged", "median door-to-provider")] == (45, 2)
    assert march[("discharged", "OP-18 median ED length of stay, discharged")] == (120, 3)  # 120, 180, 110
    assert march[("admitted", "ED-1 median ED length of stay, admitted")] == (240, 1)
    assert march[("admitted", "ED-2 median admit decision to departure")] == (150, 1)
    assert march[("lwbs", "visits")] == (1, 1)
    assert march[("transferred", "median ED length of stay, transferred")] == (None, 0)
    assert ("lwbs", "median door-to-provider") not in march


def test_the_month_is_the_facilitys_not_utcs():
    got = report()
    assert got[("2026-04", "all", "visits")] == (1, 1)
    assert got[("2026-04", "transferred", "median ED length of stay, transferred")] == (70, 1)
    assert got[("2026-04", "all", "LWBS rate")] == (0.0, 1)


def test_months_between_spans_a_year_end():
    assert months_between(date(2025, 11, 1), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between(date(2026, 3, 1), date(2026, 2, 1)) == []
