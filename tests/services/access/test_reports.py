"""Reports: numbers checked against hand-computed values, files opened with
real readers (csv, openpyxl), through the library and `edflow report`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from base.store_log import envelopes_after
from deploy.cli import main
from events.work_queue import QueueAppointment
from projections.work_queue import fold_into
from services.access.report_files import csv_bytes, xlsx_bytes
from services.access.reports import SCHEDULE_COLUMNS, STATS_COLUMNS, schedule_rows, stats_rows
from tests.services.access.conftest import PATIENT


def utc(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# (id, department, booked at, start, what happened)
MARCH = [
    ("A1", "cardiology", utc(2, 9), utc(5, 9), "completed"),  # lead 3 days
    ("A2", "cardiology", utc(2, 9), utc(6, 9), "no-show"),  # 4 days
    ("A3", "cardiology", utc(3, 9), utc(9, 9), "cancelled"),  # 6 days
    ("A4", "cardiology", utc(9, 9), utc(10, 9), "booked"),  # 1 day
    ("B1", "orthopedics", utc(2, 10), utc(4, 10), "no-show"),  # 2 days
    ("C1", "cardiology", utc(2, 9), utc(2, 9, month=4), "booked"),  # outside March
]


def record_march(app, clock):
    for appointment_id, department, booked_at, start, outcome in MARCH:
        app.book(
            clock.meta(role="scheduler", at=booked_at),
            PATIENT,
            f"dr-{department}",
            department,
            "outpatient-visit",
            start,
            start + timedelta(minutes=30),
            appointment_id=appointment_id,
        )
        later = clock.meta(role="scheduler", at=start)
        if outcome == "completed":
            app.check_in(later, appointment_id)
            app.complete_appointment(clock.meta(role="scheduler", at=start + timedelta(minutes=40)), appointment_id)
        elif outcome == "no-show":
            app.mark_no_show(later, appointment_id)
        elif outcome == "cancelled":
            app.cancel_appointment(
                clock.meta(role="scheduler", at=booked_at + timedelta(days=1)), appointment_id, "ill"
            )


def appointments(app):
    envelopes, _ = envelopes_after(app, 0, limit=100_000)
    return [e for e in fold_into({}, envelopes).values() if isinstance(e, QueueAppointment)]


EXPECTED_STATS = [
    {
        "period": "2026-03",
        "department": "cardiology",
        "appointments": 4,
        "completed": 1,
        "no_shows": 1,
        "cancelled": 1,
        "no_show_rate": 0.25,
        "cancellation_rate": 0.25,
        "mean_lead_days": 3.5,
        "median_lead_days": 3.5,
    },
    {
        "period": "2026-03",
        "department": "orthopedics",
        "appointments": 1,
        "completed": 0,
        "no_shows": 1,
        "cancelled": 0,
        "no_show_rate": 1.0,
        "cancellation_rate": 0.0,
        "mean_lead_days": 2.0,
        "median_lead_days": 2.0,
    },
]


def test_statistics_by_department_match_hand_computed_values(hospital, clock):
    record_march(hospital, clock)
    assert stats_rows(appointments(hospital), date(2026, 3, 1), date(2026, 3, 31), "UTC") == EXPECTED_STATS


def test_weekly_periods_split_the_month(hospital, clock):
    record_march(hospital, clock)
    rows = stats_rows(appointments(hospital), date(2026, 3, 1), date(2026, 3, 31), "UTC", period="week")
    assert [(r["period"], r["department"], r["appointments"]) for r in rows] == [
        ("2026-W10", "cardiology", 2),
        ("2026-W10", "orthopedics", 1),
        ("2026-W11", "cardiology", 2),
    ]


def test_the_stats_workbook_opens_in_a_real_reader_with_the_same_numbers(hospital, clock, tmp_path):
    record_march(hospital, clock)
    rows = stats_rows(appointments(hospital), date(2026, 3, 1), date(2026, 3, 31), "UTC")
    path = tmp_path / "stats.xlsx"
    path.write_bytes(xlsx_bytes("stats", STATS_COLUMNS, rows))
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == STATS_COLUMNS
    assert values[1] == ("2026-03", "cardiology", 4, 1, 1, 1, 0.25, 0.25, 3.5, 3.5)
    assert sheet.cell(row=2, column=7).number_format == "0.0%"


def test_a_days_schedule_lists_its_appointments_in_order(hospital, clock):
    record_march(hospital, clock)
    rows = schedule_rows(appointments(hospital), date(2026, 3, 4), date(2026, 3, 6), "UTC")
    assert [(r["date"], r["start"], r["appointment_id"], r["status"]) for r in rows] == [
        ("2026-03-04", "10:00", "B1", "noshow"),
        ("2026-03-05", "09:00", "A1", "fulfilled"),
        ("2026-03-06", "09:00", "A2", "noshow"),
    ]
    parsed = list(csv.DictReader(io.StringIO(csv_bytes(SCHEDULE_COLUMNS, rows).decode())))
    assert parsed[1]["appointment_id"] == "A1" and parsed[1]["initials"] == "SR" and parsed[1]["end"] == "09:30"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_edflow_report_writes_the_file(sqlite_settings, clock, tmp_path, monkeypatch, capsys, fmt):
    from services.hospital import Hospital

    app = Hospital(sqlite_settings)
    record_march(app, clock)
    app.close()
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("EDFLOW_EVENT_STORE", "sqlite")
    monkeypatch.setenv("EDFLOW_FACILITY_TIMEZONE", "UTC")
    out = tmp_path / f"stats.{fmt}"
    assert (
        main(
            [
                "report",
                "stats",
                "--facility",
                "fac-1",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-31",
                "--format",
                fmt,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
        assert [(r["department"], r["no_shows"], r["mean_lead_days"]) for r in rows] == [
            ("cardiology", "1", "3.5"),
            ("orthopedics", "1", "2.0"),
        ]
    else:
        sheet = openpyxl.load_workbook(out).active
        assert [row[1:6] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
            ("cardiology", 4, 1, 1, 1),
            ("orthopedics", 1, 0, 1, 0),
        ]


def test_edflow_report_refuses_an_inverted_range_in_one_line(tmp_path, capsys):
    assert (
        main(
            [
                "report",
                "schedule",
                "--facility",
                "f",
                "--from",
                "2026-03-05",
                "--to",
                "2026-03-01",
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.strip() == "edflow report: --to is before --from"
