"""HL7 data types we read (DTM/TS, XPN, CX, PL) turned into our values.

Each reader raises `ContentError` naming the field when a value is present but
wrong: a malformed date never becomes an event with a guessed time (which
`hl7.parse_datetime` does; see README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from base.input_bounds import OutOfBounds, check_birth_date, text_problem
from events.catalogue import Person, Sex
from services.hl7.parse import Message, Segment, unescape
from services.hl7.problems import DATA_TYPE, ContentError, Location

_DTM = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$")
BIRTH = Location("PID", 7)
SEXES: dict[str, Sex] = {"F": "F", "M": "M", "O": "O", "U": "U", "A": "O", "N": "U"}
# The segments the ADT and SIU mappings read values from (MAPPING.md).
MAPPED_SEGMENTS = frozenset({"MSH", "EVN", "PID", "PV1", "PV2", "SCH", "TQ1", "AIS", "AIL", "AIP", "AIG", "IN1", "MRG"})


@contextmanager
def refused_at(where: Location) -> Iterator[None]:
    """A value outside edflow's input bounds (base.input_bounds), as AE naming `where`."""
    try:
        yield
    except OutOfBounds as refused:
        raise ContentError(str(refused), where, DATA_TYPE) from None


def check_text(message: Message) -> None:
    """Every field of the mapped segments, unescaped, is plain text: a control,
    bidirectional or invisible character (NUL, U+202E, U+200B; \\X00\\ escaped
    too) is refused naming the first segment-field that holds one."""
    seen: dict[str, int] = {}
    for segment in message.segments:
        seen[segment.name] = seen.get(segment.name, 0) + 1
        if segment.name not in MAPPED_SEGMENTS:
            continue
        first = 3 if segment.name == "MSH" else 1
        whole = "|".join(segment.fields[first:])
        if segment.seps.escape not in whole and whole.isprintable():
            continue  # no escape sequence, and every field plain text
        for number in range(first, len(segment.fields)):
            problem = text_problem(unescape(segment.fields[number], segment.seps))
            if problem:
                where = Location(segment.name, number, seen[segment.name])
                raise ContentError(f"{where} {problem}", where, DATA_TYPE)


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


def person_of(pid: Segment | None, at: datetime) -> Person:
    """The patient of PID; a birth date after `at` (the event) or implausibly
    long before it is refused naming PID-7."""
    if pid is None:
        return Person()
    sex: Sex = SEXES.get(pid.get(8).upper()[:1], "U")
    born = parse_date(pid.get(7), BIRTH)
    with refused_at(BIRTH):
        check_birth_date(born, at)
    return Person(
        mrn=mrn_of(pid),
        family_name=pid.get(5, 1, 1) or None,
        given_name=pid.get(5, 2) or None,
        birth_date=born,
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
