"""What edflow accepts from the outside world, in one place every way in shares.

- Event times: not before the facility's history starts (EDFLOW_HISTORY_START)
  and at most EDFLOW_MAX_FUTURE_SECONDS ahead of this server's clock.
- Appointment times: inside the same history, at most `BOOKING_HORIZON` ahead,
  and at least `MIN_APPOINTMENT` long (the shortest slot a schedule may define).
- Birth dates: not after the event, at most `MAX_AGE_YEARS` before it.
- Text a person types (names, complaints, reasons, ids): no control,
  bidirectional or invisible formatting characters; a contact-log note is at
  most `MAX_NOTE_CHARS` long (a short note, not a letter).

Each check raises `OutOfBounds` with a sentence that names the value; the HTTP
API answers it 422 naming the field, the HL7 intake AE naming the segment-field,
the command line one line. Nothing is recorded.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from base.settings import DEFAULT_HISTORY_START, Settings

MIN_APPOINTMENT = timedelta(minutes=5)
BOOKING_HORIZON = timedelta(days=5 * 366)
MAX_AGE_YEARS = 130
MAX_NOTE_CHARS = 280
# Zero-width non-joiner and joiner are part of how Persian, Indic scripts and
# emoji are spelled; every other invisible formatting character is refused.
SPELLING_JOINERS = frozenset({"\u200c", "\u200d"})
# Refused Unicode categories: controls (NUL, tab, line breaks, C1), format
# characters (bidirectional overrides, zero-width space, BOM), surrogates,
# and the line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The instants every aware datetime lies between, in UTC.
EARLIEST_UTC = datetime.min.replace(tzinfo=UTC)
LATEST_UTC = datetime.max.replace(tzinfo=UTC)


class OutOfBounds(ValueError):
    """A value outside what edflow accepts; the message says which and why,
    `field` which of the checked values it is when the check knows."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- text ---------------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text a person typed; None when it can."""
    if value.isprintable():  # the common case: no control or format character at all
        return None
    for index, char in enumerate(value):
        if unicodedata.category(char) in REFUSED_CATEGORIES and char not in SPELLING_JOINERS:
            name = unicodedata.name(char, "a control character")
            return (
                f"contains U+{ord(char):04X} ({name}) at position {index + 1}; "
                "control, bidirectional and invisible characters are not accepted"
            )
    return None


def plain_text(value: str) -> str:
    """`value` unchanged, or OutOfBounds (for pydantic's AfterValidator)."""
    problem = text_problem(value)
    if problem:
        raise OutOfBounds(problem)
    return value


# --- times --------------------------------------------------------------------


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC, clamped to the first or last representable instant
    when it lies within a day of either end (where the conversion overflows)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST_UTC if moment.year == 1 else LATEST_UTC


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in `zone`. Within a day of the ends of the calendar the
    conversion overflows; the moment keeps its own offset then, so a time
    stored before these bounds existed cannot stop a read or the fold."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        return moment


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day of `moment` in `zone` (total: see `in_zone`)."""
    return in_zone(moment, zone).date()


def plus(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, clamped at the ends of the calendar instead of raising."""
    try:
        return moment + delta
    except OverflowError:
        return EARLIEST_UTC if delta < timedelta(0) else LATEST_UTC


@dataclass(frozen=True)
class TimeWindow:
    """When events may have happened: from the facility's history start to a
    little (clock skew) ahead of now. Made from settings with `of`."""

    history_start: date = DEFAULT_HISTORY_START
    max_future_seconds: int = 300

    @classmethod
    def of(cls, settings: Settings) -> TimeWindow:
        return cls(settings.history_start, settings.max_future_seconds)

    @property
    def earliest(self) -> datetime:
        return datetime.combine(self.history_start, time(), tzinfo=UTC)

    def _before_history(self, what: str, moment: datetime) -> OutOfBounds:
        return OutOfBounds(
            f"{what} {moment.isoformat()} is before this facility's history starts "
            f"({self.history_start.isoformat()}, EDFLOW_HISTORY_START)",
            what,
        )

    def check_event(self, moment: datetime, what: str = "occurred_at", now: datetime | None = None) -> datetime:
        """An event time: `moment`, or OutOfBounds."""
        now = now or datetime.now(UTC)
        if moment < self.earliest:
            raise self._before_history(what, moment)
        if (moment - now).total_seconds() > self.max_future_seconds:
            raise OutOfBounds(
                f"{what} {moment.isoformat()} is in the future; "
                f"at most {self.max_future_seconds} s ahead of this server's clock is accepted",
                what,
            )
        return moment

    def check_scheduled(self, moment: datetime, what: str = "start", now: datetime | None = None) -> datetime:
        """A time something is planned for (an appointment, a block, an as-of):
        inside the history, at most BOOKING_HORIZON ahead."""
        now = now or datetime.now(UTC)
        if moment < self.earliest:
            raise self._before_history(what, moment)
        if moment - now > BOOKING_HORIZON:
            raise OutOfBounds(f"{what} {moment.isoformat()} is more than {BOOKING_HORIZON.days} days ahead", what)
        return moment

    def check_day(self, day: date, what: str = "day", today: date | None = None) -> date:
        """A calendar day a read or a holiday names, by the same rule."""
        self.check_scheduled(datetime.combine(day, time(12), tzinfo=UTC), what, _noon(today))
        return day

    def check_appointment(self, start: datetime, end: datetime, now: datetime | None = None) -> None:
        """An appointment's (or block's) start and end, and its length."""
        self.check_scheduled(start, "start", now)
        self.check_scheduled(end, "end", now)
        check_length(start, end)


def _noon(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(12), tzinfo=UTC)


def check_length(start: datetime, end: datetime) -> None:
    if end <= start:
        raise OutOfBounds("end must be after start", "end")
    if end - start < MIN_APPOINTMENT:
        minutes = int(MIN_APPOINTMENT.total_seconds() // 60)
        raise OutOfBounds(f"an appointment lasts at least {minutes} minutes (the shortest slot)", "end")


def check_birth_date(born: date | None, at: datetime) -> None:
    """A patient's birth date against the time of the event that records it."""
    if born is None:
        return
    day = at.date()
    if born > day:
        raise OutOfBounds(f"birth date {born.isoformat()} is after {day.isoformat()}")
    if born < _years_before(day, MAX_AGE_YEARS):
        raise OutOfBounds(f"birth date {born.isoformat()} is more than {MAX_AGE_YEARS} years before {day.isoformat()}")


def _years_before(day: date, years: int) -> date:
    if day.year <= years:
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)
