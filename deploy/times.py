"""Times typed on the `edflow` command line: ISO 8601, with a time zone offset.

`aware_time` is the argparse `type=` of every option that takes an instant
(`audit access --since/--until`, `reminders run --now`); `replay --at` calls
it from its run. `iso_time` also accepts a time without an offset, for
`simulate --start`, which places such a time in the facility's zone. A bad
value is refused in one line that says what to type.
"""

from __future__ import annotations

import argparse
from datetime import datetime

EXAMPLE = "2026-03-02T14:00:00-06:00"


def iso_time(text: str) -> datetime:
    """An ISO 8601 time, with or without an offset."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time; e.g. {EXAMPLE}") from None


def aware_time(text: str) -> datetime:
    """An ISO 8601 time with a time zone offset; one without is refused."""
    value = iso_time(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no time zone offset; add one, e.g. {value.isoformat()}{EXAMPLE[-6:]}"
        )
    return value
