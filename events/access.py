"""Patient access: appointments, provider and room calendars, schedules,
insurance, the pre-operative checklist, reminders and the waitlist."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal, get_args

import msgspec

from events.common import Fact, Person

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


# --- the contact log ----------------------------------------------------------

ContactChannel = Literal["phone", "email", "letter", "sms"]
ContactDirection = Literal["inbound", "outbound"]
ContactOutcome = Literal["reached", "no-answer", "left-message", "sent", "received", "failed"]


class PatientContacted(Fact, frozen=True, kw_only=True):
    """A call, e-mail, letter or text message with a patient. When and who are
    the event's own time and actor. `call_back_at` asks for a call-back then
    (the patient is in the work queue until it is done or cancelled);
    `call_back_of` names the earlier contact whose call-back this one is."""

    contact_id: str
    patient: Person
    channel: ContactChannel
    direction: ContactDirection
    reason: str
    outcome: ContactOutcome
    note: str = ""
    appointment_id: str | None = None
    call_back_at: datetime | None = None
    call_back_of: str | None = None


class CallBackCancelled(Fact, frozen=True, kw_only=True):
    """The call-back asked for by contact `contact_id` is no longer needed."""

    contact_id: str
    reason: str
