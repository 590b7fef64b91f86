"""The projection table's values: one small entry per key.

Entries are msgspec Structs in one tagged union, so a table changelog (faust,
RocksDB) stores them as compact JSON and reads them back typed. Adding an
optional field is a compatible change; renaming a class is not (the tag is
the class name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from events.board import AppointmentStatus, BedStatus, InsuranceStatus
from events.catalogue import AppointmentType, ArrivalMode, BedNeeds, BedType, RequestedLevel, RequestState, Sex

Phase = Literal["open", "departed", "cancelled"]


class _Entry(msgspec.Struct, kw_only=True, tag=True, tag_field="entry", omit_defaults=True):
    pass


class FacilitySummary(_Entry, kw_only=True):
    """Per facility: the watermark and the running counts the capacity panel needs."""

    facility_id: str
    # Highest store position applied, per event stream ("ed", "access").
    positions: dict[str, int] = {}
    last_event_at: datetime | None = None
    census: int = 0
    waiting: int = 0
    untriaged: int = 0
    ventilated: int = 0  # open visits on a ventilator (NEDOCS V)
    # Open visits with an admit decision -> when it was decided (few at a time).
    boarders: dict[str, datetime] = {}
    beds: dict[str, int] = {}  # bed status -> count
    beds_total: int = 0
    # Inpatient unit -> bed status ("reserved", "ready", "occupied") -> count;
    # None until the first inpatient-bed event (projections/placement.py).
    inpatient: dict[str, dict[str, int]] | None = None
    last_bedded_wait_minutes: float | None = None
    # Event times the published "today" and "rolling24h" metrics were computed at.
    metrics_at: datetime | None = None
    rolling_at: datetime | None = None


class EncounterEntry(_Entry, kw_only=True):
    id: str
    visit_number: str
    given_initial: str = ""
    family_initial: str = ""
    age_years: int | None = None
    sex: Sex = "U"
    chief_complaint: str = ""
    arrival_mode: ArrivalMode = "walk-in"
    arrived_at: datetime
    esi: int | None = None
    triaged_at: datetime | None = None
    provider_id: str | None = None
    provider_at: datetime | None = None
    bed_id: str | None = None
    unit: str | None = None
    roomed_at: datetime | None = None
    admit_decided_at: datetime | None = None
    phase: Phase = "open"
    departed_at: datetime | None = None
    disposition: str | None = None
    lwbs: bool = False
    # On a ventilator; counted only while the visit is open (departure ends the count).
    ventilated: bool = False
    nurse_id: str | None = None
    request: RequestEntry | None = None  # the bed request (projections/placement.py)


class RequestEntry(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A visit's bed request: what it asks for and when each step happened."""

    state: RequestState
    level_of_care: RequestedLevel
    inpatient_unit: str | None = None
    needs: BedNeeds = BedNeeds()
    # Times of the visit's first request, its admit decision and first
    # assignment: a reopened request keeps them, so the boarding split's
    # samples change only by a correction (projections/boarding_split.py).
    requested_at: datetime
    decided_at: datetime | None = None
    unit: str | None = None
    bed_id: str | None = None
    assigned_at: datetime | None = None  # the first assignment
    ready_at: datetime | None = None


class InpatientBedEntry(_Entry, kw_only=True):
    """One inpatient bed with a record: who holds it, since when."""

    id: str
    bed_id: str
    unit: str
    status: str = "free"  # free, reserved, ready, occupied
    encounter_id: str | None = None
    since: datetime


class BedEntry(_Entry, kw_only=True):
    id: str  # the bed aggregate id; bed_id is the floor's code
    bed_id: str
    unit: str
    bed_type: BedType = "acute"
    label: str = ""
    status: BedStatus = "available"
    encounter_id: str | None = None
    since: datetime
    reason: str | None = None
    status_before_block: BedStatus = "available"


class Sample(msgspec.Struct, array_like=True, frozen=True, order=True):
    """One interval, in minutes, that ended at `at`. Ordered by minutes first,
    so a day's samples are kept sorted for its percentiles."""

    minutes: float
    at: datetime


class VisitSamples(msgspec.Struct, kw_only=True, frozen=True):
    """What one visit contributes to one day's flow metrics (derived, not stored)."""

    arrived_at: datetime | None = None  # counted as a visit of this day
    door_to_triage: Sample | None = None
    door_to_provider: Sample | None = None
    los_discharged: Sample | None = None
    los_admitted: Sample | None = None
    boarding: Sample | None = None
    lwbs_at: datetime | None = None
    # The boarding split (projections/boarding_split.py).
    decision_to_request: Sample | None = None
    request_to_assigned: Sample | None = None
    assigned_to_departure: Sample | None = None


class DayBucket(_Entry, kw_only=True):
    """One calendar day (facility time zone): its raw samples, each list kept
    sorted, so percentiles are read off and a sample is added or retracted by
    bisection. A visit's samples are derived from its entry, so nothing here
    needs to say which visit a sample came from."""

    day: str
    arrivals: list[datetime] = []
    lwbs: list[datetime] = []
    door_to_triage: list[Sample] = []
    door_to_provider: list[Sample] = []
    los_discharged: list[Sample] = []
    los_admitted: list[Sample] = []
    boarding: list[Sample] = []
    decision_to_request: list[Sample] = []
    request_to_assigned: list[Sample] = []
    assigned_to_departure: list[Sample] = []


class AppointmentEntry(_Entry, kw_only=True):
    id: str
    department: str
    appointment_type: AppointmentType
    start: datetime
    end: datetime
    status: AppointmentStatus = "booked"
    insurance: InsuranceStatus = "unverified"
    provider_id: str
    given_initial: str = ""
    family_initial: str = ""
    encounter_id: str | None = None


class ScheduleBook(_Entry, kw_only=True):
    """Per facility: counts per f"{department}|{date}"."""

    counts: dict[str, dict[str, int]] = {}


# The scheduler's work queue keeps its own entries (projections/work_queue.py).
from events.work_queue import QueueAppointment, QueueCallBack, QueueOffer, QueueWatermark  # noqa: E402

Entry = (
    FacilitySummary
    | EncounterEntry
    | BedEntry
    | InpatientBedEntry
    | DayBucket
    | AppointmentEntry
    | ScheduleBook
    | QueueWatermark
    | QueueAppointment
    | QueueOffer
    | QueueCallBack
)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Entry)


def encode_entry(entry: Entry) -> bytes:
    return _encoder.encode(entry)


def decode_entry(raw: bytes | str) -> Entry:
    return _decoder.decode(raw)


def initials(given_initial: str, family_initial: str) -> str:
    return f"{given_initial}{family_initial}"
