"""Facility configuration the fold needs, and the table's key scheme.

What the ED's events cannot know (hospital inpatient beds, the facility's
time zone, wait targets, patients ventilated without a recorded
VentilationStarted) is passed in as a `FacilityProfile`; the reducers stay
pure. Ventilation recorded on a visit is counted by the fold itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from base.facility import load_facility
from base.inpatient_units import InpatientUnit
from base.input_bounds import local_day
from base.settings import Settings

# Minutes an ESI level may wait for a bed before the board flags it; levels
# absent from the mapping have no target. ESI 1 is immediate: any wait is over.
DEFAULT_WAIT_TARGETS: dict[int, int] = {1: 0, 2: 10, 3: 60}
# How far back (days) a correction can retract metric samples.
CORRECTION_WINDOW_DAYS = 31


@dataclass(frozen=True)
class FacilityProfile:
    timezone: str = "America/Chicago"
    inpatient_beds: int = 300
    ventilated: int = 0  # added to the visits the fold counts as ventilated
    wait_targets: dict[int, int] = field(default_factory=lambda: dict(DEFAULT_WAIT_TARGETS))
    # Where boarders go (the facility file's inpatient units); their staffed
    # beds add up to `inpatient_beds` when listed.
    inpatient_units: tuple[InpatientUnit, ...] = ()

    def __hash__(self) -> int:  # dict field: hash what identifies the profile
        units = tuple((u.id, u.name, u.level_of_care, u.staffed_beds) for u in self.inpatient_units)
        return hash(
            (self.timezone, self.inpatient_beds, self.ventilated, tuple(sorted(self.wait_targets.items())), units)
        )

    def day_of(self, moment: datetime) -> str:
        # Total: a time within a day of year 1 or 9999 (stored before event
        # times were bounded) counts on its own offset's day instead of raising.
        if 1 < moment.year < 9999:  # see `day_in`; inlined, the fold asks this very often
            return _day_in(self.timezone, moment)
        return day_in(self.timezone, moment)


DEFAULT_PROFILE = FacilityProfile()


def facility_profiles(settings: Settings) -> Callable[[str], FacilityProfile]:
    """Each facility's profile: the configured facility's time zone and
    inpatient beds from its file; other facilities get
    EDFLOW_FACILITY_TIMEZONE. No extra ventilated patients: the facility file
    counts ventilators, not patients on them; the fold counts visits with
    ventilation started. Raises FacilityError."""
    facility = load_facility(settings.facility_config)
    default = FacilityProfile(timezone=settings.facility_timezone)
    known = {
        facility.id: FacilityProfile(
            timezone=facility.timezone,
            inpatient_beds=facility.inpatient_beds,
            inpatient_units=tuple(facility.inpatient_units),
        )
    }
    return lambda facility_id: known.get(facility_id, default)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def day_in(timezone: str, moment: datetime) -> str:
    """The calendar day of `moment` in `timezone`, as YYYY-MM-DD."""
    if 1 < moment.year < 9999:
        # The fold asks for the same few instants' days over and over (a
        # visit's arrival at each of its events). Equal instants have equal
        # days whatever their offsets, except at the calendar's ends, where
        # a moment keeps its own offset (`local_day`): those are not cached.
        return _day_in(timezone, moment)
    return local_day(moment, _zone(timezone)).isoformat()


@lru_cache(maxsize=4096)
def _day_in(timezone: str, moment: datetime) -> str:
    return local_day(moment, _zone(timezone)).isoformat()


def day_keys(facility_id: str, timezone: str, moment: datetime, count: int) -> tuple[tuple[str, str], ...]:
    """(day, `day_key`) of the day after `moment`'s, its day and the
    `count - 1` days before it, newest first (see `days_back`)."""
    return _day_keys(facility_id, day_in(timezone, moment), count)


@lru_cache(maxsize=1024)
def _day_keys(facility_id: str, day: str, count: int) -> tuple[tuple[str, str], ...]:
    # Every event of a day reads the same day buckets: their keys are built once.
    return tuple((d, day_key(facility_id, d)) for d in _days_back(day, count, 1))


def days_back(day: str, count: int, ahead: int = 0) -> list[str]:
    """`ahead` days after `day`, then `day` and the `count - 1` days before it,
    newest first. Days past either end of the calendar (year 1, year 9999)
    are left out rather than raising: the fold never stops on an old event."""
    return list(_days_back(day, count, ahead))


@lru_cache(maxsize=1024)
def _days_back(day: str, count: int, ahead: int) -> tuple[str, ...]:
    # Every event of a day asks for the same run of days: built once per day.
    first = date.fromisoformat(day)
    return tuple(d.isoformat() for n in range(-ahead, count) if (d := _minus_days(first, n)) is not None)


def _minus_days(day: date, days: int) -> date | None:
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return None


def facility_key(facility_id: str) -> str:
    return f"{facility_id}|facility"


def encounter_key(facility_id: str, encounter_id: str) -> str:
    return f"{facility_id}|enc|{encounter_id}"


def bed_key(facility_id: str, bed_aggregate_id: str) -> str:
    return f"{facility_id}|bed|{bed_aggregate_id}"


def inpatient_bed_key(facility_id: str, bed_aggregate_id: str) -> str:
    return f"{facility_id}|ipbed|{bed_aggregate_id}"


def day_key(facility_id: str, day: str) -> str:
    return f"{facility_id}|day|{day}"


def appointment_key(facility_id: str, appointment_id: str) -> str:
    return f"{facility_id}|appt|{appointment_id}"


def schedule_key(facility_id: str) -> str:
    return f"{facility_id}|schedule"
