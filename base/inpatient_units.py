"""The hospital's inpatient units as the facility file lists them: where
boarders go. Each unit has a level of care and its staffed beds (generated
ids "<unit>-01".. unless the file names them); their total is the staffed
inpatient-bed count NEDOCS divides by."""

from __future__ import annotations

import typing

import msgspec

from events.placement import RequestedLevel

LEVELS: tuple[str, ...] = typing.get_args(RequestedLevel)


class InpatientUnit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    name: str
    level_of_care: str
    staffed_beds: int
    beds: list[str] = []  # bed ids; default "<id>-01" to "<id>-<staffed_beds>"

    def bed_ids(self) -> list[str]:
        if self.beds:
            return list(self.beds)
        width = max(2, len(str(self.staffed_beds)))
        return [f"{self.id}-{n:0{width}d}" for n in range(1, self.staffed_beds + 1)]


def units_problem(units: list[InpatientUnit], inpatient_beds: int, ed_unit_ids: set[str]) -> str | None:
    """The first problem with the inpatient units; None when usable."""
    if not units:
        return None
    seen_units: set[str] = set()
    seen_beds: dict[str, str] = {}
    for unit in units:
        where = f"inpatient unit {unit.id!r}"
        if not unit.id.strip():
            return "inpatient_units: a unit has an empty id"
        if unit.id in seen_units or unit.id in ed_unit_ids:
            return f"{where} is defined twice (unit ids are shared with the ED's units)"
        seen_units.add(unit.id)
        if unit.level_of_care not in LEVELS:
            return f"{where}: unknown level_of_care {unit.level_of_care!r}; use one of {', '.join(LEVELS)}"
        if unit.staffed_beds < 1:
            return f"{where}: staffed_beds must be at least 1"
        if unit.beds and len(unit.beds) != unit.staffed_beds:
            return f"{where}: lists {len(unit.beds)} beds but staffed_beds is {unit.staffed_beds}"
        for bed in unit.bed_ids():
            if not bed.strip():
                return f"{where} has a bed with an empty id"
            if bed in seen_beds:
                return f"duplicate inpatient bed id {bed!r} (in units {seen_beds[bed]!r} and {unit.id!r})"
            seen_beds[bed] = unit.id
    staffed = sum(unit.staffed_beds for unit in units)
    if staffed != inpatient_beds:
        return (
            f"inpatient_beds is {inpatient_beds} but the inpatient units staff {staffed} beds; "
            "NEDOCS divides by the staffed beds: make them agree"
        )
    return None
