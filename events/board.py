"""The board stream: what the projections publish per facility and the
dashboard fans out. Published contract, like the event catalogue.

Per facility, messages carry a sequence number that increases by one per
message. A `snapshot` holds every entity of the facility's board as of `seq`;
a `delta` holds the entities that changed since `seq - 1`. A consumer that sees
a gap (a delta whose seq is not last seq + 1) discards its board and waits for
(or asks for) the next snapshot.

Each change is `{"kind", "id", "value"}`; the kind ("encounter", "bed",
"capacity", "metrics", "appointment", "schedule", "alert", "inpatient-unit") says which value
struct below `value` holds. `value` null means the entity left the board. A
consumer that does not know a kind ignores its changes. Times in
values are ISO 8601 strings as Python's `isoformat` writes them (`+00:00`,
not `Z`); field order is the order the JSON carries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Literal

import msgspec

from events.access import AppointmentType
from events.board_placement import BedRequestValue, InpatientUnitValue
from events.common import Sex
from events.ed import ArrivalMode, BedType

EntityKind = Literal["encounter", "bed", "capacity", "metrics", "appointment", "schedule", "alert", "inpatient-unit"]
EncounterStatus = Literal["waiting", "roomed", "boarding"]
BedStatus = Literal["available", "occupied", "dirty", "cleaning", "blocked"]
AppointmentStatus = Literal["booked", "checked-in", "noshow", "fulfilled", "cancelled"]
InsuranceStatus = Literal["unverified", "requested", "verified", "failed"]


class _Value(msgspec.Struct, frozen=True, kw_only=True):
    pass


class EncounterValue(_Value, frozen=True, kw_only=True, omit_defaults=True):
    """A patient in the department: initials, never names, MRNs or visit numbers."""

    initials: str
    age_years: int | None
    sex: Sex
    chief_complaint: str
    esi: int | None
    arrival_mode: ArrivalMode
    arrived_at: str
    triaged_at: str | None
    provider_id: str | None
    provider_at: str | None
    bed_id: str | None
    unit: str | None
    roomed_at: str | None
    admit_decided_at: str | None
    status: EncounterStatus
    # Judged at the message's `as_of` (the visit's last event, or the
    # worker's clock at least every 30 s); with the target a screen can keep
    # judging it against its own clock.
    over_target: bool
    wait_target_minutes: int | None
    # On a ventilator; absent (not false) when not, so older readers see the same bytes.
    ventilated: bool = False
    # The patient's nurse (staff id); absent until one is assigned.
    nurse_id: str | None = None
    # An admitted patient's bed request (events/board_placement.py); absent when none.
    bed_request: BedRequestValue | None = None


class BedValue(_Value, frozen=True, kw_only=True):
    unit: str
    bed_type: BedType
    label: str
    status: BedStatus
    encounter_id: str | None
    since: str
    reason: str | None


class NedocsInputs(_Value, frozen=True, kw_only=True):
    ed_patients: int
    ed_beds: int
    admitted_boarders: int
    inpatient_beds: int
    ventilated: int
    longest_boarding_hours: float
    last_bedded_wait_hours: float


class Nedocs(_Value, frozen=True, kw_only=True):
    score: int | None  # None: no beds registered
    band: str
    variant: str
    inputs: NedocsInputs


class CapacityValue(_Value, frozen=True, kw_only=True):
    census: int
    beds_total: int
    beds_occupied: int
    beds_available: int
    beds_dirty: int
    beds_blocked: int
    waiting: int
    untriaged: int
    boarders: int
    longest_boarding_minutes: float
    nedocs: Nedocs


class Interval(_Value, frozen=True, kw_only=True):
    """One flow interval's median and 90th percentile over `n` samples."""

    median_minutes: float | None
    p90_minutes: float | None
    n: int


class MetricsValue(_Value, frozen=True, kw_only=True):
    """Flow metrics of id "today" (with the facility's calendar `day`) or "rolling24h" (no `day`)."""

    day: str | msgspec.UnsetType = msgspec.UNSET
    as_of: str
    door_to_triage: Interval
    door_to_provider: Interval
    los_discharged: Interval
    los_admitted: Interval
    boarding: Interval
    visits: int
    lwbs: int
    lwbs_rate: float | None
    # The boarding split beside ED-2; absent while the window holds no such sample.
    decision_to_request: Interval | msgspec.UnsetType = msgspec.UNSET
    request_to_assigned: Interval | msgspec.UnsetType = msgspec.UNSET
    assigned_to_departure: Interval | msgspec.UnsetType = msgspec.UNSET


class AppointmentValue(_Value, frozen=True, kw_only=True):
    department: str
    appointment_type: AppointmentType
    start: str
    end: str
    status: AppointmentStatus
    insurance: InsuranceStatus
    provider_id: str
    initials: str


class ScheduleValue(_Value, frozen=True, kw_only=True):
    """Counts of one department's day (id f"{department}|{date}")."""

    department: str
    date: str
    booked: int
    checked_in: int
    no_show: int
    cancelled: int
    unverified_insurance: int


class DeadLetterNote(_Value, frozen=True, kw_only=True):
    """One event the board could not show: its type, when it was set aside
    (wall clock, ISO 8601) and why (exception type and the reducer that
    raised; never a value from the event)."""

    type: str
    at: str
    reason: str


class AlertValue(_Value, frozen=True, kw_only=True):
    """Board alert of id "dead-letters": how many of the facility's events
    could not be folded into the board (each is on the dead-letter topic),
    and the latest few, newest first."""

    count: int
    latest: list[DeadLetterNote]


class _Change(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    kind: ClassVar[EntityKind]
    id: str


class EncounterChange(_Change, frozen=True, kw_only=True, tag="encounter"):
    kind: ClassVar[Literal["encounter"]] = "encounter"
    value: EncounterValue | None


class BedChange(_Change, frozen=True, kw_only=True, tag="bed"):
    kind: ClassVar[Literal["bed"]] = "bed"
    value: BedValue | None


class CapacityChange(_Change, frozen=True, kw_only=True, tag="capacity"):
    kind: ClassVar[Literal["capacity"]] = "capacity"
    value: CapacityValue | None


class MetricsChange(_Change, frozen=True, kw_only=True, tag="metrics"):
    kind: ClassVar[Literal["metrics"]] = "metrics"
    value: MetricsValue | None


class AppointmentChange(_Change, frozen=True, kw_only=True, tag="appointment"):
    kind: ClassVar[Literal["appointment"]] = "appointment"
    value: AppointmentValue | None


class ScheduleChange(_Change, frozen=True, kw_only=True, tag="schedule"):
    kind: ClassVar[Literal["schedule"]] = "schedule"
    value: ScheduleValue | None


class AlertChange(_Change, frozen=True, kw_only=True, tag="alert"):
    kind: ClassVar[Literal["alert"]] = "alert"
    value: AlertValue | None


class InpatientUnitChange(_Change, frozen=True, kw_only=True, tag="inpatient-unit"):
    kind: ClassVar[Literal["inpatient-unit"]] = "inpatient-unit"
    value: InpatientUnitValue | None


EntityChange = (
    EncounterChange
    | BedChange
    | CapacityChange
    | MetricsChange
    | AppointmentChange
    | ScheduleChange
    | AlertChange
    | InpatientUnitChange
)
BoardValue = (
    EncounterValue
    | BedValue
    | CapacityValue
    | MetricsValue
    | AppointmentValue
    | ScheduleValue
    | AlertValue
    | InpatientUnitValue
)
# Kind -> the change class that carries it (called with id= and value=).
CHANGE_TYPES: dict[str, Callable[..., EntityChange]] = {
    cls.kind: cls
    for cls in (
        EncounterChange,
        BedChange,
        CapacityChange,
        MetricsChange,
        AppointmentChange,
        ScheduleChange,
        AlertChange,
        InpatientUnitChange,
    )
}


def removed(change: EntityChange) -> EntityChange:
    """The same entity, leaving the board."""
    return type(change)(id=change.id, value=None)


class BoardMessage(msgspec.Struct, frozen=True, kw_only=True):
    facility_id: str
    seq: int
    type: Literal["snapshot", "delta"]
    # The instant the message's time-dependent values were evaluated at: the
    # event time of the last event folded in, or, for the worker's clock
    # deltas (`projections.board_clock`), the worker's clock.
    as_of: datetime | None
    # Store position of the last event folded in, per event topic.
    positions: dict[str, int] = {}
    changes: list[EntityChange] = []
    # The facility's IANA time zone: the calendar its "today" figures count
    # (metrics, schedule days) and the clock a screen should show.
    time_zone: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(BoardMessage)


def encode_board(message: BoardMessage) -> bytes:
    return _encoder.encode(message)


def decode_board(raw: bytes | str) -> BoardMessage:
    return _decoder.decode(raw)
