"""The event catalogue: every fact edflow records, as a typed class.

The class name is the event's published `type` and its stored tag: renaming a
class breaks every stored and published event of that type, so don't — add a
new type and an upcaster instead. Adding an optional field is a compatible
change; anything else bumps `SCHEMA_VERSION` of that class.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import ClassVar, Literal, get_args

import msgspec

Sex = Literal["F", "M", "O", "U"]
ArrivalMode = Literal["walk-in", "ambulance", "helicopter", "police", "transfer", "other"]
Disposition = Literal["home", "admitted", "transferred", "left-against-advice", "died"]
LevelOfCare = Literal["ward", "icu", "observation"]
BedType = Literal["resus", "acute", "fast-track", "hallway", "observation", "psych", "exam"]
AppointmentType = Literal["ed-follow-up", "outpatient-visit", "outpatient-procedure", "surgical-case"]
ResourceKind = Literal["provider", "room", "department"]
ChecklistItem = Literal["consent", "labs", "anaesthesia-review", "insurance-authorisation"]
# The pre-operative checklist a surgical case needs before it is confirmed.
PRE_OP_ITEMS: tuple[str, ...] = get_args(ChecklistItem)
NEEDS_CHECKLIST = frozenset({"surgical-case"})


def missing_items(appointment_type: str, done: set[str]) -> list[str]:
    """Checklist items still open, in checklist order; none for types without a checklist."""
    if appointment_type not in NEEDS_CHECKLIST:
        return []
    return [item for item in PRE_OP_ITEMS if item not in done]


class Fact(msgspec.Struct, frozen=True, kw_only=True, tag=True, tag_field="type"):
    """Base of every catalogue event. The tag is the class name."""

    SCHEMA_VERSION: ClassVar[int] = 1


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """Minimal demographics. Names and identifiers are PHI: only screens for
    roles that need them show them; the board shows initials."""

    mrn: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    birth_date: date | None = None
    age_years: int | None = None
    sex: Sex = "U"
    # Published envelopes carry initials instead of names (events/published.py);
    # unset in the store, so stored events keep their bytes.
    given_initial: str | msgspec.UnsetType = msgspec.UNSET
    family_initial: str | msgspec.UnsetType = msgspec.UNSET


# --- ED encounter -----------------------------------------------------------


class PatientArrived(Fact, frozen=True, kw_only=True):
    visit_number: str
    patient: Person
    arrival_mode: ArrivalMode = "walk-in"
    chief_complaint: str = ""


class PatientTriaged(Fact, frozen=True, kw_only=True):
    esi: int


class ProviderAssigned(Fact, frozen=True, kw_only=True):
    provider_id: str


class BedAssigned(Fact, frozen=True, kw_only=True):
    bed_id: str
    unit: str


class PatientTransferred(Fact, frozen=True, kw_only=True):
    from_bed_id: str | None
    to_bed_id: str
    to_unit: str


class BedVacated(Fact, frozen=True, kw_only=True):
    """The patient left their bed but is still in the department."""

    bed_id: str


class AdmitDecided(Fact, frozen=True, kw_only=True):
    level_of_care: LevelOfCare = "ward"
    inpatient_unit: str | None = None


class PatientDischarged(Fact, frozen=True, kw_only=True):
    disposition: Disposition
    destination: str | None = None


class PatientLeftWithoutBeingSeen(Fact, frozen=True, kw_only=True):
    pass


class ArrivalCancelled(Fact, frozen=True, kw_only=True):
    """Correction: the arrival was recorded in error; the stay never happened."""

    reason: str


class DischargeCancelled(Fact, frozen=True, kw_only=True):
    """Correction: the discharge was recorded in error; the stay goes on."""

    reason: str


class PatientDetailsUpdated(Fact, frozen=True, kw_only=True):
    """Correction or update of demographics or complaint; unset fields keep their value."""

    patient: Person | None = None
    chief_complaint: str | None = None
    arrival_mode: ArrivalMode | None = None


# --- beds -------------------------------------------------------------------


class BedRegistered(Fact, frozen=True, kw_only=True):
    bed_id: str
    unit: str
    bed_type: BedType = "acute"
    label: str = ""


class BedOccupied(Fact, frozen=True, kw_only=True):
    encounter_id: str


class BedReleased(Fact, frozen=True, kw_only=True):
    """The patient left the bed; it is dirty until cleaned."""

    encounter_id: str


class BedCleaningStarted(Fact, frozen=True, kw_only=True):
    pass


class BedCleaned(Fact, frozen=True, kw_only=True):
    pass


class BedBlocked(Fact, frozen=True, kw_only=True):
    reason: str


class BedUnblocked(Fact, frozen=True, kw_only=True):
    pass


# --- scheduling -------------------------------------------------------------


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """Where reminders go. Only the reminder sender reads it."""

    email: str | None = None
    phone: str | None = None


class AppointmentBooked(Fact, frozen=True, kw_only=True):
    patient: Person
    provider_id: str
    department: str
    appointment_type: AppointmentType
    start: datetime
    end: datetime
    reason: str = ""
    encounter_id: str | None = None
    room_id: str | None = None
    contact: Contact | None = None
    # The scheduler's own id for the appointment (the one in API paths).
    appointment_id: str | None = None


class AppointmentRescheduled(Fact, frozen=True, kw_only=True):
    provider_id: str
    start: datetime
    end: datetime
    previous_provider_id: str
    previous_start: datetime
    previous_end: datetime


class AppointmentCancelled(Fact, frozen=True, kw_only=True):
    reason: str


class PatientCheckedIn(Fact, frozen=True, kw_only=True):
    pass


class AppointmentNoShow(Fact, frozen=True, kw_only=True):
    pass


class AppointmentCompleted(Fact, frozen=True, kw_only=True):
    pass


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    payer: str
    member_id: str
    plan: str = ""
    effective_from: date | None = None
    effective_to: date | None = None


class InsuranceVerificationRequested(Fact, frozen=True, kw_only=True):
    coverage: Coverage


class InsuranceVerified(Fact, frozen=True, kw_only=True):
    method: str = "manual"
    reference: str = ""


class InsuranceVerificationFailed(Fact, frozen=True, kw_only=True):
    reason: str


class ProviderTimeReserved(Fact, frozen=True, kw_only=True):
    """A provider's calendar day holds [start, end) for one appointment."""

    appointment_id: str
    start: datetime
    end: datetime


class ProviderTimeReleased(Fact, frozen=True, kw_only=True):
    appointment_id: str


class WorkingHours(msgspec.Struct, frozen=True, kw_only=True):
    """One working interval on one weekday (0 = Monday), in the schedule's time zone."""

    weekday: int
    start: time
    end: time


class SlotLength(msgspec.Struct, frozen=True, kw_only=True):
    appointment_type: AppointmentType
    minutes: int


class ScheduleDefined(Fact, frozen=True, kw_only=True):
    """A provider's, room's or department's working week; replaces the previous one."""

    resource_kind: ResourceKind
    resource_id: str
    department: str
    time_zone: str
    hours: tuple[WorkingHours, ...]
    slot_lengths: tuple[SlotLength, ...] = ()


class TimeBlocked(Fact, frozen=True, kw_only=True):
    """[start, end) of a resource cannot be booked (leave, maintenance, meeting)."""

    block_id: str
    start: datetime
    end: datetime
    reason: str


class TimeUnblocked(Fact, frozen=True, kw_only=True):
    block_id: str


class HolidayDeclared(Fact, frozen=True, kw_only=True):
    """A whole local day off for a resource."""

    day: date
    name: str


class RoomTimeReserved(Fact, frozen=True, kw_only=True):
    """A room's calendar day holds [start, end) for one appointment."""

    appointment_id: str
    start: datetime
    end: datetime


class RoomTimeReleased(Fact, frozen=True, kw_only=True):
    appointment_id: str


class AppointmentModified(Fact, frozen=True, kw_only=True):
    """Details changed without moving the time; unset fields keep their value."""

    reason: str | None = None
    appointment_type: AppointmentType | None = None
    room_id: str | None = None
    previous_room_id: str | None = None


class PreOpItemCompleted(Fact, frozen=True, kw_only=True):
    """One item of a surgical case's pre-operative checklist is done."""

    item: ChecklistItem
    note: str = ""


class AppointmentConfirmed(Fact, frozen=True, kw_only=True):
    """Confirmed for the day: a surgical case only with its checklist complete."""


class InsuranceRecheckNeeded(Fact, frozen=True, kw_only=True):
    """An earlier verification no longer holds (dates moved, coverage changed)."""

    reason: str


class ReminderSent(Fact, frozen=True, kw_only=True):
    """The reminder `lead_minutes` before the start was handed to the notifier."""

    lead_minutes: int
    channel: str
    message_id: str


class WaitlistJoined(Fact, frozen=True, kw_only=True):
    """A patient waits for an earlier slot with a provider or a department."""

    entry_id: str
    patient: Person
    department: str
    appointment_type: AppointmentType
    duration_minutes: int
    provider_id: str | None = None
    before: datetime | None = None
    appointment_id: str | None = None
    contact: Contact | None = None


class WaitlistLeft(Fact, frozen=True, kw_only=True):
    entry_id: str
    reason: str


class WaitlistSlotOffered(Fact, frozen=True, kw_only=True):
    """A freed slot is offered to a waiting patient until `expires_at`."""

    entry_id: str
    provider_id: str
    start: datetime
    end: datetime
    expires_at: datetime


class WaitlistOfferAccepted(Fact, frozen=True, kw_only=True):
    entry_id: str
    appointment_id: str


class WaitlistOfferDeclined(Fact, frozen=True, kw_only=True):
    entry_id: str


class WaitlistOfferExpired(Fact, frozen=True, kw_only=True):
    entry_id: str


ENCOUNTER_FACTS: tuple[type[Fact], ...] = (
    PatientArrived,
    PatientTriaged,
    ProviderAssigned,
    BedAssigned,
    PatientTransferred,
    BedVacated,
    AdmitDecided,
    PatientDischarged,
    PatientLeftWithoutBeingSeen,
    ArrivalCancelled,
    DischargeCancelled,
    PatientDetailsUpdated,
)
BED_FACTS: tuple[type[Fact], ...] = (
    BedRegistered,
    BedOccupied,
    BedReleased,
    BedCleaningStarted,
    BedCleaned,
    BedBlocked,
    BedUnblocked,
)
SCHEDULING_FACTS: tuple[type[Fact], ...] = (
    AppointmentBooked,
    AppointmentRescheduled,
    AppointmentCancelled,
    PatientCheckedIn,
    AppointmentNoShow,
    AppointmentCompleted,
    InsuranceVerificationRequested,
    InsuranceVerified,
    InsuranceVerificationFailed,
    ProviderTimeReserved,
    ProviderTimeReleased,
    ScheduleDefined,
    TimeBlocked,
    TimeUnblocked,
    HolidayDeclared,
    RoomTimeReserved,
    RoomTimeReleased,
    AppointmentModified,
    PreOpItemCompleted,
    AppointmentConfirmed,
    InsuranceRecheckNeeded,
    ReminderSent,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistSlotOffered,
    WaitlistOfferAccepted,
    WaitlistOfferDeclined,
    WaitlistOfferExpired,
)
ALL_FACTS: tuple[type[Fact], ...] = ENCOUNTER_FACTS + BED_FACTS + SCHEDULING_FACTS
FACTS_BY_TYPE: dict[str, type[Fact]] = {cls.__name__: cls for cls in ALL_FACTS}
