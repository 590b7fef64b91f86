"""Dates and date-times in query strings, as the OpenAPI states them
(`format: date`, `format: date-time`): ISO 8601 text only. Pydantic alone
would also read a number as a Unix timestamp, which no caller means."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso(pattern: re.Pattern[str], shape: str):
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError(f"expected {shape}")
        return value

    return check


IsoDate = Annotated[date, BeforeValidator(_iso(_DATE, "a date, YYYY-MM-DD"))]
IsoDateTime = Annotated[
    AwareDatetime, BeforeValidator(_iso(_DATE_TIME, "an ISO 8601 date-time with offset, e.g. 2026-03-02T08:00:00Z"))
]
