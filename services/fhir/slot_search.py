"""The Slot search: a schedule's grid cells over a range of days.

`start` takes the FHIR date prefixes; all its values are ANDed into one
range (`start=2027-03-15`, or `start=ge2027-03-15&start=lt2027-03-22`) of at
most the availability API's span (62 days; a side left open is 62 days from
the other, from today when both are; a wider range is a 422). Days before
the facility's history or past the booking horizon have no slots.
A date without a time is the schedule's own local day (a clinic's Monday is
its Monday in its time zone, as the availability API counts days); a
dateTime is the instant it names. Without `schedule`, every provider's and
room's schedule at the facility is searched. Without `service-type`, each
schedule's own appointment types (the availability API's default when it
lists none).

Results are in order of start, then schedule, then type; each match's
position (the paging cursor) is computed from those, so it does not move
when another slot is booked between two pages.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial

from base.input_bounds import BOOKING_HORIZON, TimeWindow
from services.access.availability import ResourceSchedule
from services.access.schedule_commands import MAX_QUERY_DAYS
from services.errors import Invalid
from services.fhir.bundle import Match
from services.fhir.index import SearchIndex
from services.fhir.schedule import kind_of, schedule_fhir_id
from services.fhir.search import PREFIXES, _end_of, _moment, check_params, reference_ids, tokens
from services.fhir.slot import DEFAULT_TYPE, SLOT_STATUSES, TYPE_CODES, Cell, booked_cells, grid_cells, slot_resource

PARAMS = {"schedule", "start", "status", "service-type"}
Test = tuple[str, datetime, datetime]


def _tests(request, zone: tzinfo) -> list[Test]:
    """Each `start` value as (prefix, low, high): the range it names, a date's in `zone`."""
    tests = []
    for value in request.query_params.getlist("start"):
        prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
        low = _moment(text, prefix)
        high = _end_of(text, low)
        if len(text) <= 10:  # a date: its days are the schedule's local days
            low = datetime.combine(low.date(), time(), tzinfo=zone).astimezone(UTC)
            if high.year < 9999:
                high = datetime.combine(high.date(), time(), tzinfo=zone).astimezone(UTC)
        tests.append((prefix, low, high))
    return tests


def _keeps(tests: list[Test], start: datetime) -> bool:
    for prefix, low, high in tests:
        ok = {"eq": low <= start < high, "ne": not low <= start < high, "ge": start >= low, "gt": start >= high,
              "le": start < high, "lt": start < low}[prefix]  # fmt: skip
        if not ok:
            return False
    return True


def _days(tests: list[Test], zone: tzinfo, window: TimeWindow) -> tuple[date, date] | None:
    """The local days the tests can match on, inside the days slots are
    answered for (the facility's history to the booking horizon); None when
    there are none. A side left open is 62 days from the other (from today
    when both are); a wider range is refused."""
    lows = [low if p in ("eq", "ge") else high for p, low, high in tests if p in ("eq", "ge", "gt")]
    highs = [high if p in ("eq", "le") else low for p, low, high in tests if p in ("eq", "le", "lt")]
    span, now = timedelta(days=MAX_QUERY_DAYS - 1), datetime.now(UTC)
    low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    if low is not None and high is not None and high <= low:
        return None
    first = None if low is None else low.astimezone(zone).date()
    last = None if high is None else (high - timedelta(microseconds=1)).astimezone(zone).date()
    if first is None:
        first = now.astimezone(zone).date() if last is None else last - span
    if last is None:
        last = first + span
    first = max(first, window.history_start)
    last = min(last, (now + BOOKING_HORIZON - timedelta(hours=12)).date())
    if last < first:
        return None
    if (last - first).days >= MAX_QUERY_DAYS:
        raise Invalid(f"start: ask for at most {MAX_QUERY_DAYS} days at a time", field="start")
    return first, last


def _position(cell: Cell) -> int:
    """Orders by start, then schedule, then type; the same on every call."""
    minute = int(cell.start.timestamp()) // 60
    schedule = zlib.crc32(cell.schedule_id.encode())
    kind = 0 if cell.appointment_type is None else 1 + sorted(TYPE_CODES).index(cell.appointment_type)
    return (minute << 40) | (schedule << 8) | kind


def _schedule_cells(hospital, facility_id, schedule: ResourceSchedule, request, kinds) -> list[Cell]:
    tests = _tests(request, schedule.tz)
    days = _days(tests, schedule.tz, TimeWindow.of(hospital.settings))
    if days is None:
        return []
    schedule_id = schedule_fhir_id(schedule.kind, schedule.resource_id)
    types = sorted(kinds) if kinds is not None else sorted(schedule.slot_lengths) or [DEFAULT_TYPE]
    cells: list[Cell] = []
    for kind in types:
        found = grid_cells(hospital, facility_id, schedule_id, *days, kind)
        cells.extend(c for c in found if _keeps(tests, c.start))
    return cells


def _booked(hospital, facility_id: str, providers: list[str], tests: list[Test]) -> list[Cell]:
    """Booked intervals of providers without a schedule, over UTC days."""
    days = _days(tests, UTC, TimeWindow.of(hospital.settings))
    if days is None:
        return []
    return [
        c for provider_id in providers for c in booked_cells(hospital, facility_id, provider_id, *days)
        if _keeps(tests, c.start)
    ]  # fmt: skip


def slots(hospital, request, facility_id: str, index: SearchIndex) -> list[Match]:
    check_params(request, PARAMS)
    wanted, statuses = reference_ids(request, "schedule", "Schedule"), tokens(request, "status", SLOT_STATUSES)
    kinds = tokens(request, "service-type", set(TYPE_CODES))
    _tests(request, UTC)  # malformed values are refused even where no schedule is searched
    schedules: list[ResourceSchedule] = []
    unscheduled: list[str] = []
    if wanted is None:
        for listed in index.listed(facility_id, ResourceSchedule):
            schedule = hospital.find(ResourceSchedule, listed.id)
            if schedule is not None and schedule.kind in ("provider", "room"):
                schedules.append(schedule)
    else:
        for schedule_id in sorted(wanted):
            kind, resource_id = kind_of(schedule_id)
            schedule = hospital.resource_schedule(facility_id, kind, resource_id) if kind != "department" else None
            if schedule is not None:
                schedules.append(schedule)
            elif kind == "provider":
                unscheduled.append(resource_id)
    cells = [c for s in schedules for c in _schedule_cells(hospital, facility_id, s, request, kinds)]
    if unscheduled and kinds is None:
        cells += _booked(hospital, facility_id, unscheduled, _tests(request, UTC))
    kept = sorted((c for c in cells if statuses is None or c.status in statuses), key=_position)
    build: Callable[[Cell], Callable[[], dict]] = lambda cell: partial(slot_resource, cell)  # noqa: E731
    return [Match(_position(c), build(c)) for c in kept]
