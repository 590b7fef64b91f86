"""Times on the command line: every option that takes an instant reads it the
same way and refuses one without an offset in a line that says what to type."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deploy.cli import build_parser, main
from deploy.times import aware_time, iso_time

CHICAGO_WINTER = timezone(timedelta(hours=-6))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-03-02T14:00:00-06:00", datetime(2026, 3, 2, 14, tzinfo=CHICAGO_WINTER)),
        ("2026-03-02T20:00Z", datetime(2026, 3, 2, 20, tzinfo=UTC)),
        ("2026-03-02T20:00:00.5+00:00", datetime(2026, 3, 2, 20, 0, 0, 500_000, tzinfo=UTC)),
    ],
)
def test_a_time_with_an_offset_is_read_as_that_instant(text, expected):
    assert aware_time(text) == expected == iso_time(text)


def test_a_time_without_an_offset_is_refused_with_the_time_to_type():
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        aware_time("2026-03-02T14")
    assert str(refused.value) == "'2026-03-02T14' has no time zone offset; add one, e.g. 2026-03-02T14:00:00-06:00"


@pytest.mark.parametrize("parse", [aware_time, iso_time])
@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00+00:00", ""])
def test_what_is_not_an_iso_time_is_refused_with_an_example(parse, text):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse(text)
    assert str(refused.value) == f"{text!r} is not an ISO 8601 time; e.g. 2026-03-02T14:00:00-06:00"


def test_a_time_without_an_offset_is_kept_naive_where_allowed():
    # `simulate --start` places it in the facility's zone.
    assert iso_time("2026-03-02T06:00") == datetime(2026, 3, 2, 6)


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "access", "--since", "2026-03-02T14"],
        ["audit", "access", "--until", "2026-03-02T14"],
        ["reminders", "run", "--once", "--now", "2026-03-02T14"],
    ],
)
def test_every_time_option_refuses_a_missing_offset_in_one_line(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert stopped.value.code == 2
    assert error.endswith(
        f"argument {argv[-2]}: '2026-03-02T14' has no time zone offset; add one, e.g. 2026-03-02T14:00:00-06:00"
    )


def test_time_options_read_aware_instants():
    args = build_parser().parse_args(["audit", "access", "--since", "2026-03-02T14:00:00-06:00"])
    assert args.since == datetime(2026, 3, 2, 20, tzinfo=UTC)
    args = build_parser().parse_args(["reminders", "run", "--now", "2026-03-02T08:00:00+00:00"])
    assert args.now == datetime(2026, 3, 2, 8, tzinfo=UTC)
    args = build_parser().parse_args(["simulate", "--start", "2026-03-02T06:00"])
    assert args.start == datetime(2026, 3, 2, 6)


def test_replay_at_names_the_option_and_what_to_type(capsys):
    assert main(["replay", "--at", "2026-03-02T14"]) == 2
    assert capsys.readouterr().err.strip() == (
        "edflow replay: --at '2026-03-02T14' has no time zone offset; add one, e.g. 2026-03-02T14:00:00-06:00"
    )
