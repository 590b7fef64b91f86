"""Board values of placement (part of the board contract, `events.board`):
a boarder's bed request on its encounter, and each inpatient unit's beds.
Times are ISO 8601 strings as in the rest of the board."""

from __future__ import annotations

import msgspec

from events.placement import BedNeeds, RequestedLevel, RequestState


class BedRequestValue(msgspec.Struct, frozen=True, kw_only=True):
    """An admitted patient's bed request as the boarding panel shows it."""

    state: RequestState
    level_of_care: RequestedLevel
    inpatient_unit: str | None
    needs: BedNeeds
    requested_at: str
    unit: str | None  # the assigned bed's unit
    bed_id: str | None
    assigned_at: str | None
    ready_at: str | None


class InpatientUnitValue(msgspec.Struct, frozen=True, kw_only=True):
    """One inpatient unit (id: the unit's id): its staffed beds (None when the
    facility file does not list the unit) and how many are held for a
    boarder, ready for one, occupied, and free (staffed less the others)."""

    name: str
    level_of_care: str | None
    staffed: int | None
    reserved: int
    ready: int
    occupied: int
    free: int | None
