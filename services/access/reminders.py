"""The reminders and offers process: send due reminders, expire waitlist offers.

Each pass folds the store's log into the work queue (so a restart knows every
reminder already recorded), then for each reminder due at `now`: deliver it
(idempotent per reminder id, see `services.access.notifier`), then record
ReminderSent. The Appointment refuses a second ReminderSent for one lead
time, so two processes, or one restarted after a crash between delivery and
recording, record each reminder once; delivering first means a crash can
repeat a delivery (which the notifier recognises) but never skip one. A
reminder whose moment passed while the process was down is sent on restart,
as long as the appointment has not started.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from events.catalogue import AppointmentBooked
from events.envelope import Actor
from events.work_queue import QueueAppointment, QueueOffer, WorkQueueSource
from services.access.notifier import NoAddress, Notifier, OutboxNotifier, Reminder, SmtpNotifier
from services.access.waitlist import Waitlist
from services.access.work_queue_view import reminders_due
from services.errors import InvalidTransition, NotFound, ReminderAlreadySent
from services.recording import Meta

log = logging.getLogger("edflow.reminders")
REMINDER_NAMESPACE = uuid.UUID("3d1c7a52-8f0e-4a0b-9a53-2f6c1b7e4d90")
ACTOR = Actor(id="edflow-reminders", role="system")


def reminder_id(facility_id: str, appointment: QueueAppointment, lead_minutes: int) -> str:
    """Stable across restarts; a rescheduled appointment gets new reminders."""
    key = f"{facility_id}:{appointment.id}:{appointment.start.isoformat()}:{lead_minutes}"
    return str(uuid.uuid5(REMINDER_NAMESPACE, key))


def notifier_for(settings: Any) -> Notifier:
    if settings.reminder_channel == "smtp":
        if not settings.smtp_host:
            raise ValueError("EDFLOW_REMINDER_CHANNEL=smtp needs EDFLOW_SMTP_HOST")
        return SmtpNotifier(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            Path(settings.data_dir) / "smtp-sent",
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_starttls,
        )
    return OutboxNotifier(Path(settings.data_dir) / "reminder-outbox")


@dataclass
class PassSummary:
    sent: int = 0
    already_recorded: int = 0
    unreachable: int = 0
    failed: int = 0  # the channel refused or was down: retried on the next pass
    offers_expired: int = 0


class ReminderProcess:
    def __init__(self, app: Any, reader: WorkQueueSource, notifier: Notifier, leads_minutes: list[int]):
        self.app, self.reader, self.notifier, self.leads = app, reader, notifier, leads_minutes

    def run_pass(self, now: datetime) -> PassSummary:
        summary = PassSummary()
        self.reader.catch_up()
        for facility_id in self.reader.facilities():
            for entry in self.reader.entries(facility_id):
                if isinstance(entry, QueueAppointment):
                    for lead in reminders_due(entry, now, self.leads):
                        self._remind(facility_id, entry, lead, now, summary)
                elif isinstance(entry, QueueOffer) and entry.expires_at <= now:
                    self._expire(facility_id, entry, now, summary)
        return summary

    def _remind(
        self, facility_id: str, appointment: QueueAppointment, lead: int, now: datetime, summary: PassSummary
    ) -> None:
        reminder = Reminder(
            reminder_id=reminder_id(facility_id, appointment, lead),
            facility_id=facility_id,
            appointment_id=appointment.appointment_id,
            lead_minutes=lead,
            start=appointment.start,
            department=appointment.department,
            email=self._email(appointment),
        )
        try:
            message_id = self.notifier.deliver(reminder)
        except NoAddress:
            summary.unreachable += 1
            return
        except (OSError, smtplib.SMTPException) as error:
            log.warning("reminder %s not delivered (%s); next pass retries", reminder.reminder_id, type(error).__name__)
            summary.failed += 1
            return
        meta = Meta(facility_id=facility_id, occurred_at=now, actor=ACTOR, correlation_id=reminder.reminder_id)
        try:
            self.app.record_reminder(meta, appointment.appointment_id, lead, self.notifier.channel, message_id)
            summary.sent += 1
        except ReminderAlreadySent:
            summary.already_recorded += 1
        except (InvalidTransition, NotFound):
            log.info("appointment %s changed before its reminder was recorded", appointment.appointment_id)

    def _email(self, appointment: QueueAppointment) -> str | None:
        for event in self.app.repository.event_store.get(uuid.UUID(appointment.id), limit=1):
            fact = getattr(event, "fact", None)
            if isinstance(fact, AppointmentBooked) and fact.contact is not None:
                return fact.contact.email
        return None

    def _expire(self, facility_id: str, offer: QueueOffer, now: datetime, summary: PassSummary) -> None:
        waitlist = self.app.find(Waitlist, uuid.UUID(offer.waitlist_id))
        if waitlist is None or getattr(waitlist, "scope", None) is None:
            return
        meta = Meta(facility_id=facility_id, occurred_at=now, actor=ACTOR)
        outcome = self.app.expire_offers(meta, waitlist.scope)
        summary.offers_expired += sum(1 for e in outcome.events if e["type"] == "WaitlistOfferExpired")
        self.reader.catch_up()  # the expiry may have changed other offers of this waitlist
