"""The contact log: calls, e-mails, letters and text messages with a patient.

One `ContactLog` per patient (by MRN) per facility holds every contact, each
optionally tied to an appointment. A contact may ask for a call-back at a
time; the call-back stays open (and in the work queue) until a later contact
says it is that call-back (`call_back_of`) or it is cancelled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

import msgspec

from base.input_bounds import MAX_NOTE_CHARS, TimeWindow
from events.catalogue import (
    CallBackCancelled,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    Fact,
    PatientContacted,
    Person,
)
from services.application import HospitalBase, Idempotency, Outcome, derived_id
from services.bounds import refused_as_invalid
from services.errors import AlreadyExists, Invalid, InvalidTransition, NotFound
from services.recording import FlowAggregate, Meta


def contact_log_id(facility_id: str, mrn: str) -> uuid.UUID:
    return derived_id("contact-log", facility_id, mrn)


@dataclass
class LoggedContact:
    fact: PatientContacted
    at: datetime
    actor_id: str
    actor_role: str
    call_back: str = "none"  # none, open, done, cancelled
    closed_by: str | None = None  # the contact that did it, or the cancel reason

    def as_dict(self) -> dict[str, Any]:
        fact = self.fact
        return {
            "contact_id": fact.contact_id,
            "at": self.at.isoformat(),
            "by": {"id": self.actor_id, "role": self.actor_role},
            "channel": fact.channel,
            "direction": fact.direction,
            "reason": fact.reason,
            "outcome": fact.outcome,
            "note": fact.note,
            "appointment_id": fact.appointment_id,
            "call_back_at": fact.call_back_at.isoformat() if fact.call_back_at else None,
            "call_back": self.call_back,
            "call_back_of": fact.call_back_of,
        }


class ContactLog(FlowAggregate):
    TOPIC = "edflow:ContactLog"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:ContactLog.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:ContactLog.Recorded"

    @classmethod
    def open_with(cls, aggregate_id: uuid.UUID, fact: PatientContacted, meta: Meta) -> ContactLog:
        _check(fact, meta)
        if fact.call_back_of is not None:
            raise NotFound(f"contact {fact.call_back_of} not found for this patient", field="call_back_of")
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def log(self, fact: PatientContacted, meta: Meta) -> None:
        _check(fact, meta)
        if fact.contact_id in self.contacts:
            raise AlreadyExists(f"contact {fact.contact_id} already exists", contact_id=fact.contact_id)
        if fact.call_back_of is not None:
            self._open_call_back(fact.call_back_of)
        self._record(fact, meta)

    def cancel_call_back(self, contact_id: str, reason: str, meta: Meta) -> None:
        self._open_call_back(contact_id)
        self._record(CallBackCancelled(contact_id=contact_id, reason=reason), meta)

    def _open_call_back(self, contact_id: str) -> LoggedContact:
        logged = self.contacts.get(contact_id)
        if logged is None:
            raise NotFound(f"contact {contact_id} not found for this patient", contact_id=contact_id)
        if logged.call_back != "open":
            raise InvalidTransition(
                f"contact {contact_id} has no open call-back", contact_id=contact_id, call_back=logged.call_back
            )
        return logged

    def _apply(self, fact: Fact, meta: Meta) -> None:
        match fact:
            case PatientContacted():
                if not hasattr(self, "contacts"):
                    self.patient, self.contacts = fact.patient, {}
                self.contacts[fact.contact_id] = LoggedContact(
                    fact, meta.occurred_at, meta.actor.id, meta.actor.role, "open" if fact.call_back_at else "none"
                )
                if fact.call_back_of is not None and fact.call_back_of in self.contacts:
                    done = self.contacts[fact.call_back_of]
                    done.call_back, done.closed_by = "done", fact.contact_id
            case CallBackCancelled():
                cancelled = self.contacts[fact.contact_id]
                cancelled.call_back, cancelled.closed_by = "cancelled", fact.reason


def _check(fact: PatientContacted, meta: Meta) -> None:
    if len(fact.note) > MAX_NOTE_CHARS:
        raise Invalid(f"note is longer than {MAX_NOTE_CHARS} characters", field="note")
    if fact.call_back_at is not None and fact.call_back_at <= meta.occurred_at:
        raise Invalid("call_back_at is not after the contact: a call-back is planned ahead", field="call_back_at")


class ContactCommands(HospitalBase):
    def contact_log(self, facility_id: str, mrn: str) -> ContactLog:
        return self.load(ContactLog, contact_log_id(facility_id, mrn), facility_id, f"contact log of patient {mrn}")

    def contact_log_mrn(self, facility_id: str, log_id: str) -> str | None:
        """The MRN of a contact log named by its aggregate id (the work queue's
        entries carry no identity)."""
        log = self.find(ContactLog, uuid.UUID(log_id))
        return log.patient.mrn if log is not None and log.facility_id == facility_id else None

    def log_contact(
        self,
        meta: Meta,
        mrn: str,
        channel: ContactChannel,
        direction: ContactDirection,
        reason: str,
        outcome: ContactOutcome,
        note: str = "",
        appointment_id: str | None = None,
        call_back_at: datetime | None = None,
        call_back_of: str | None = None,
        contact_id: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """Record one contact with patient `mrn` as the caller in `meta`."""
        contact_id = contact_id or str(uuid.uuid4())
        if call_back_at is not None:
            with refused_as_invalid("call_back_at"):
                TimeWindow.of(self.settings).check_scheduled(call_back_at, "call_back_at")

        def decide():
            log_id = contact_log_id(meta.facility_id, mrn)
            log = self.find(ContactLog, log_id)
            if log is not None and log.facility_id != meta.facility_id:
                log = None
            fact = PatientContacted(
                contact_id=contact_id,
                patient=self._patient(meta.facility_id, mrn, appointment_id, log),
                channel=channel,
                direction=direction,
                reason=reason,
                outcome=outcome,
                note=note,
                appointment_id=appointment_id,
                call_back_at=call_back_at,
                call_back_of=call_back_of,
            )
            if log is None:
                log = ContactLog.open_with(log_id, fact, meta)
            else:
                log.log(fact, meta)
            return contact_id, [log]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _patient(self, facility_id: str, mrn: str, appointment_id: str | None, log: ContactLog | None) -> Person:
        """Who the contact was with: the appointment's patient (it must be this
        MRN), else the one the log knows, else only the MRN."""
        if appointment_id is not None:
            appointment = self.appointment(facility_id, appointment_id)  # type: ignore[attr-defined]
            patient: Person | None = getattr(appointment, "patient", None)
            if patient is not None:
                if patient.mrn not in (None, mrn):
                    raise Invalid(f"appointment {appointment_id} is for another patient", field="appointment_id")
                return msgspec.structs.replace(patient, mrn=mrn)
        return log.patient if log is not None else Person(mrn=mrn)

    def cancel_call_back(
        self, meta: Meta, mrn: str, contact_id: str, reason: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        def decide():
            log = self.contact_log(meta.facility_id, mrn)
            log.cancel_call_back(contact_id, reason, meta)
            return contact_id, [log]

        return self.run(decide, facility_id=meta.facility_id, **idem)
