"""HL7 data types we read (DTM/TS, XPN, CX, PL) turned into our values.

Each reader raises `ContentError` naming the field when a value is present but
wrong: a malformed date never becomes an event with a guessed time (which
`hl7.parse_datetime` does; see README.md).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from events.catalogue import Person, Sex
from services.hl7.parse import Segment
from services.hl7.problems import DATA_TYPE, ContentError, Location

_DTM = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$")
SEXES: dict[str, Sex] = {"F": "F", "M": "M", "O": "O", "U": "U", "A": "O", "N": "U"}


def parse_dtm(value: str, default_tz: tzinfo, where: Location) -> datetime | None:
    """YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]; without an offset, the facility's zone."""
    if not value:
        return None
    match = _DTM.match(value.strip())
    if not match:
        raise ContentError(f"{where} {value!r} is not an HL7 date/time (YYYYMMDDHHMMSS+ZZZZ)", where, DATA_TYPE)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        tz: tzinfo = default_tz
        if offset:
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        micro = int((fraction or "0").ljust(6, "0")[:6])
        return datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError as error:
        raise ContentError(f"{where} {value!r} is not a valid date/time: {error}", where, DATA_TYPE) from None


def parse_date(value: str, where: Location) -> date | None:
    stamp = parse_dtm(value, UTC, where)
    return stamp.date() if stamp else None


def mrn_of(pid: Segment) -> str | None:
    """PID-3: the repetition typed MR (CX.5), else the first identifier."""
    reps = pid.repetitions(3)
    for n in range(len(reps)):
        if pid.get(3, 5, repetition=n).upper() == "MR" and pid.get(3, 1, repetition=n):
            return pid.get(3, 1, repetition=n)
    return pid.get(3, 1) or pid.get(2, 1) or None


def person_of(pid: Segment | None) -> Person:
    if pid is None:
        return Person()
    sex: Sex = SEXES.get(pid.get(8).upper()[:1], "U")
    return Person(
        mrn=mrn_of(pid),
        family_name=pid.get(5, 1, 1) or None,
        given_name=pid.get(5, 2) or None,
        birth_date=parse_date(pid.get(7), Location("PID", 7)),
        sex=sex,
    )


class Place(NamedTuple):
    """PL: point of care ^ room ^ bed ^ facility."""

    point_of_care: str
    room: str
    bed: str
    facility: str

    def bed_id(self, template: str) -> str | None:
        """Our bed id for this place, or None when the place names no bed."""
        if not self.bed:
            return None
        try:
            return template.format(**self._asdict()).strip("-") or None
        except (KeyError, IndexError, ValueError):
            return f"{self.point_of_care}-{self.bed}".strip("-")


def place_of(segment: Segment | None, field: int) -> Place:
    if segment is None:
        return Place("", "", "", "")
    return Place(segment.get(field, 1), segment.get(field, 2), segment.get(field, 3), segment.get(field, 4))
