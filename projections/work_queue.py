"""The patient-access scheduler's work queue: a pure reducer.

Table entries, one per key (writes per event are O(1)):
  `{facility}|wq`                          the highest store position applied
  `{facility}|wq|appt|{aggregate id}`      one appointment's queue state
  `{facility}|wq|offer|{waitlist id}|{entry}` one pending waitlist offer
  `{facility}|wq|callback|{log id}|{contact}` one open call-back

Entries are `events.work_queue` structs; `services.access.work_queue_view`
answers the scheduler's questions from them. Time comes from the events,
never from a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping

from msgspec.structs import replace

from events.catalogue import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentConfirmed,
    AppointmentModified,
    AppointmentNoShow,
    AppointmentRescheduled,
    CallBackCancelled,
    Fact,
    InsuranceRecheckNeeded,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientCheckedIn,
    PatientContacted,
    PreOpItemCompleted,
    ReminderSent,
    WaitlistOfferAccepted,
    WaitlistOfferDeclined,
    WaitlistOfferExpired,
    WaitlistSlotOffered,
)
from events.envelope import Envelope
from events.published import initials_of
from events.work_queue import QueueAppointment, QueueCallBack, QueueEntry, QueueOffer, QueueWatermark

_OFFER_FACTS = (WaitlistSlotOffered, WaitlistOfferAccepted, WaitlistOfferDeclined, WaitlistOfferExpired)


def watermark_key(facility_id: str) -> str:
    return f"{facility_id}|wq"


def callback_key(facility_id: str, log_id: str, contact_id: str) -> str:
    return f"{facility_id}|wq|callback|{log_id}|{contact_id}"


def keys_for(envelope: Envelope) -> list[str]:
    """Keys this event reads or writes: the watermark first; none if it is not ours."""
    facility = envelope.facility_id
    fact: Fact = envelope.data
    if isinstance(fact, (PatientContacted, CallBackCancelled)):
        log_id = str(envelope.aggregate_id)
        keys = [watermark_key(facility), callback_key(facility, log_id, fact.contact_id)]
        if isinstance(fact, PatientContacted) and fact.call_back_of:
            keys.append(callback_key(facility, log_id, fact.call_back_of))
        return keys
    if isinstance(fact, _OFFER_FACTS):
        return [watermark_key(facility), f"{facility}|wq|offer|{envelope.aggregate_id}|{fact.entry_id}"]
    if envelope.aggregate_type == "Appointment":
        return [watermark_key(facility), f"{facility}|wq|appt|{envelope.aggregate_id}"]
    return []


def step(entries: Mapping[str, QueueEntry | None], envelope: Envelope) -> dict[str, QueueEntry | None]:
    """The changed entries after one event; empty for repeats and other events."""
    keys = keys_for(envelope)
    if not keys:
        return {}
    mark_key, key = keys[:2]
    mark = entries.get(mark_key)
    if envelope.position <= (mark.position if isinstance(mark, QueueWatermark) else 0):
        return {}
    fact: Fact = envelope.data
    if isinstance(fact, (PatientContacted, CallBackCancelled)):
        return {mark_key: QueueWatermark(position=envelope.position), **_call_backs(entries, keys[1:], envelope)}
    old = entries.get(key)
    new: QueueEntry | None
    if isinstance(fact, _OFFER_FACTS):
        new = _offer(fact, str(envelope.aggregate_id)) if isinstance(fact, WaitlistSlotOffered) else None
    else:
        new = _appointment(old if isinstance(old, QueueAppointment) else None, fact, envelope)
    changes: dict[str, QueueEntry | None] = {mark_key: QueueWatermark(position=envelope.position)}
    if new != old:
        changes[key] = new
    return changes


def _call_backs(
    entries: Mapping[str, QueueEntry | None], keys: list[str], envelope: Envelope
) -> dict[str, QueueEntry | None]:
    """A contact that asks for a call-back opens one; one that does an earlier
    call-back, or a cancellation, closes that one."""
    fact: Fact = envelope.data
    changes: dict[str, QueueEntry | None] = {}
    if isinstance(fact, CallBackCancelled) or (isinstance(fact, PatientContacted) and fact.call_back_of):
        closed = keys[-1]
        if entries.get(closed) is not None:
            changes[closed] = None
    if isinstance(fact, PatientContacted) and fact.call_back_at is not None:
        changes[keys[0]] = QueueCallBack(
            log_id=str(envelope.aggregate_id),
            contact_id=fact.contact_id,
            due=fact.call_back_at,
            channel=fact.channel,
            reason=fact.reason,
            logged_at=envelope.occurred_at,
            initials="".join(letter or "" for letter in initials_of(fact.patient)),
            appointment_id=fact.appointment_id,
        )
    return changes


def _offer(fact: WaitlistSlotOffered, waitlist_id: str) -> QueueOffer:
    return QueueOffer(
        waitlist_id=waitlist_id,
        entry_id=fact.entry_id,
        provider_id=fact.provider_id,
        start=fact.start,
        end=fact.end,
        expires_at=fact.expires_at,
    )


def _initials(fact: AppointmentBooked) -> str:
    return "".join(letter or "" for letter in initials_of(fact.patient))


def _appointment(old: QueueAppointment | None, fact: Fact, envelope: Envelope) -> QueueAppointment | None:
    at = envelope.occurred_at
    if isinstance(fact, AppointmentBooked):
        return QueueAppointment(
            id=str(envelope.aggregate_id),
            appointment_id=fact.appointment_id or str(envelope.aggregate_id),
            department=fact.department,
            provider_id=fact.provider_id,
            appointment_type=fact.appointment_type,
            start=fact.start,
            end=fact.end,
            booked_at=at,
            room_id=fact.room_id,
            initials=_initials(fact),
        )
    if old is None:
        return None  # joined mid-stream: nothing to amend
    match fact:
        case AppointmentRescheduled():
            return replace(
                old,
                provider_id=fact.provider_id,
                start=fact.start,
                end=fact.end,
                confirmed=False,
                reminders_sent=[],
                reschedules=old.reschedules + 1,
            )
        case AppointmentModified():
            return replace(
                old,
                appointment_type=fact.appointment_type or old.appointment_type,
                room_id=fact.room_id if fact.room_id is not None else old.room_id,
            )
        case AppointmentCancelled():
            return replace(old, status="cancelled", status_at=at)
        case PatientCheckedIn():
            return replace(old, status="checked-in", status_at=at)
        case AppointmentNoShow():
            return replace(old, status="noshow", status_at=at)
        case AppointmentCompleted():
            return replace(old, status="fulfilled", status_at=at)
        case AppointmentConfirmed():
            return replace(old, confirmed=True)
        case PreOpItemCompleted():
            return replace(old, checklist_done=sorted({*old.checklist_done, fact.item}))
        case InsuranceVerificationRequested():
            return replace(old, insurance="requested", insurance_note="")
        case InsuranceVerified():
            return replace(old, insurance="verified", insurance_note="")
        case InsuranceVerificationFailed():
            return replace(old, insurance="failed", insurance_note=fact.reason)
        case InsuranceRecheckNeeded():
            return replace(old, insurance="recheck", insurance_note=fact.reason)
        case ReminderSent():
            return replace(old, reminders_sent=sorted({*old.reminders_sent, fact.lead_minutes}))
    return old


def fold_into(table: MutableMapping[str, QueueEntry], envelopes: Iterable[Envelope]) -> MutableMapping[str, QueueEntry]:
    """Fold events into an in-memory table (reminders process, API, tests)."""
    for envelope in envelopes:
        for key, entry in step({k: table.get(k) for k in keys_for(envelope)}, envelope).items():
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
    return table
