"""Monthly ED measures for quality reports (CMS OP-18, ED-1, ED-2; LWBS).

A visit counts in the month, in the facility's time zone, in which it left
the ED (the measures' own rule: a stay is measured when it ends). Visits still
in the ED, and cancelled arrivals, are not counted. Each visit is folded with
the board's own reducer (`encounters.apply_fact`), so a correction (a
cancelled arrival or discharge) changes the report exactly as it changes the
board.

Rows are long: one measure of one disposition group in one month, each with
its unit, the number of visits it is computed from and its definition, so a
spreadsheet states what every figure means and can pivot them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from events.catalogue import PatientArrived
from events.envelope import Envelope
from projections.encounters import apply_fact, arrived
from projections.entries import EncounterEntry

COLUMNS = ("month", "disposition", "measure", "value", "unit", "visits", "definition")

# Disposition groups, in report order; "all" is every visit that left.
GROUPS = ("all", "discharged", "admitted", "transferred", "died", "lwbs")
_GROUP_OF = {"home": "discharged", "left-against-advice": "discharged", "transferred": "transferred", "died": "died"}
MONTH = (
    "the month of the visit's departure from the ED, facility time; "
    "visits still in the ED and cancelled arrivals are not counted"
)


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str
    definition: str


VISITS = Measure("visits", "visits", f"ED visits that left in the month ({MONTH})")
DOOR_TO_PROVIDER = Measure(
    "median door-to-provider",
    "minutes",
    "median minutes from arrival to the first provider assigned, over the group's visits that saw a provider",
)
LOS = {
    "all": Measure("median ED length of stay", "minutes", "median minutes from arrival to departure from the ED"),
    "discharged": Measure(
        "OP-18 median ED length of stay, discharged",
        "minutes",
        "median minutes from arrival to departure for visits discharged home or leaving against advice (CMS OP-18)",
    ),
    "admitted": Measure(
        "ED-1 median ED length of stay, admitted",
        "minutes",
        "median minutes from arrival to departure for visits admitted (admit decided, or disposition admitted) (ED-1)",
    ),
    "transferred": Measure(
        "median ED length of stay, transferred", "minutes", "median minutes from arrival to transfer out"
    ),
    "died": Measure("median ED length of stay, died", "minutes", "median minutes from arrival to death in the ED"),
}
ED_2 = Measure(
    "ED-2 median admit decision to departure",
    "minutes",
    "median minutes from the admit decision to departure from the ED, for admitted visits (ED-2, boarding time)",
)
LWBS_RATE = Measure(
    "LWBS rate",
    "percent",
    "visits that left without being seen, as a percentage of all visits that left in the month",
)


def group_of(entry: EncounterEntry) -> str:
    if entry.lwbs:
        return "lwbs"
    if entry.disposition == "admitted" or entry.admit_decided_at is not None:
        return "admitted"
    return _GROUP_OF.get(entry.disposition or "", "discharged")


def fold_visit(found: dict[str, EncounterEntry], envelope: Envelope) -> None:
    """Apply one event to the visits it may concern (others are ignored)."""
    if envelope.aggregate_type != "Encounter":
        return
    key, fact = str(envelope.aggregate_id), envelope.data
    if isinstance(fact, PatientArrived):
        found[key] = arrived(key, fact, envelope.occurred_at)
    elif key in found:
        found[key] = apply_fact(found[key], fact, envelope.occurred_at)


def visits(envelopes: Iterable[Envelope], facility_id: str) -> dict[str, EncounterEntry]:
    """Each ED visit of the facility as the board's reducer leaves it."""
    found: dict[str, EncounterEntry] = {}
    for envelope in envelopes:
        if envelope.facility_id == facility_id:
            fold_visit(found, envelope)
    return found


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def months_between(first: date, last: date) -> list[str]:
    """'YYYY-MM' of every month from `first`'s to `last`'s, inclusive."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def monthly_rows(entries: Iterable[EncounterEntry], months: list[str], timezone: str) -> list[dict[str, Any]]:
    """The report's rows for `months` ('YYYY-MM'), every group of every
    month present (a month without visits says 0 visits, no medians)."""
    zone = ZoneInfo(timezone)
    wanted = set(months)
    by_cell: dict[tuple[str, str], list[EncounterEntry]] = {}
    for entry in entries:
        if entry.phase != "departed" or entry.departed_at is None:
            continue
        month = month_of(entry.departed_at, zone)
        if month in wanted:
            by_cell.setdefault((month, group_of(entry)), []).append(entry)
            by_cell.setdefault((month, "all"), []).append(entry)
    return [row for month in months for group in GROUPS for row in _rows(month, group, by_cell)]


def _rows(month: str, group: str, by_cell: dict[tuple[str, str], list[EncounterEntry]]) -> Iterator[dict[str, Any]]:
    group_visits = by_cell.get((month, group), [])

    def row(measure: Measure, value: float | None, counted: int) -> dict[str, Any]:
        return {
            "month": month,
            "disposition": group,
            "measure": measure.name,
            "value": value,
            "unit": measure.unit,
            "visits": counted,
            "definition": measure.definition,
        }

    yield row(VISITS, len(group_visits), len(group_visits))
    seen = [_minutes(e.arrived_at, e.provider_at) for e in group_visits if e.provider_at is not None]
    if group != "lwbs":
        yield row(DOOR_TO_PROVIDER, _median(seen), len(seen))
    if group in LOS:
        stays = [_minutes(e.arrived_at, e.departed_at) for e in group_visits if e.departed_at is not None]
        yield row(LOS[group], _median(stays), len(stays))
    if group == "admitted":
        boarding = [
            _minutes(e.admit_decided_at, e.departed_at)
            for e in group_visits
            if e.admit_decided_at is not None and e.departed_at is not None
        ]
        yield row(ED_2, _median(boarding), len(boarding))
    if group == "all":
        lwbs = len(by_cell.get((month, "lwbs"), []))
        rate = round(100 * lwbs / len(group_visits), 1) if group_visits else None
        yield row(LWBS_RATE, rate, len(group_visits))
