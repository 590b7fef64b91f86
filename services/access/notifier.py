"""Where reminders go: an outbox directory (default) or SMTP e-mail.

A reminder carries only what it needs: appointment id, department, time and
the address. Logs name reminder and appointment ids, never the address.

Delivery is keyed by `reminder.reminder_id` (derived from facility,
appointment, start and lead time), so delivering the same reminder again is
recognised:
- `OutboxNotifier` creates `<outbox>/<reminder_id>.json` atomically and
  exclusively (write a temporary file, then hard-link it into place; a link
  to an existing name fails). A second delivery of one reminder writes
  nothing: exactly one file per reminder, whatever crashes in between.
- `SmtpNotifier` sends with a deterministic Message-ID `<reminder_id@domain>`
  and notes each accepted id in a ledger under data_dir, checked before
  sending. A crash after the server accepted the message and before the
  ledger write can repeat that one message, with the same Message-ID (which
  mail systems use to suppress duplicates): at-least-once, duplicates
  bounded to that window, never lost.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from base.private_files import private_dir

log = logging.getLogger("edflow.reminders")


@dataclass(frozen=True)
class Reminder:
    reminder_id: str
    facility_id: str
    appointment_id: str
    lead_minutes: int
    start: datetime
    department: str
    email: str | None = None


class Notifier(Protocol):
    channel: str

    def deliver(self, reminder: Reminder) -> str:
        """Deliver once per reminder id; returns the message id."""
        ...


class NoAddress(Exception):
    """The appointment has no address this channel can use."""


class OutboxNotifier:
    channel = "log"

    def __init__(self, outbox: Path):
        self.outbox = outbox
        private_dir(self.outbox)

    def deliver(self, reminder: Reminder) -> str:
        final = self.outbox / f"{reminder.reminder_id}.json"
        body = {**asdict(reminder), "start": reminder.start.isoformat(), "email": None}
        fd, temporary = tempfile.mkstemp(dir=self.outbox, prefix=".pending-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(body, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, final)
            log.info(
                "reminder %s for appointment %s delivered to the outbox", reminder.reminder_id, reminder.appointment_id
            )
        except FileExistsError:
            log.info("reminder %s was already in the outbox", reminder.reminder_id)
        finally:
            os.unlink(temporary)
        return reminder.reminder_id


class SmtpNotifier:
    channel = "smtp"

    def __init__(
        self, host: str, port: int, sender: str, ledger: Path, user: str = "", password: str = "", starttls: bool = True
    ):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls
        self.ledger = ledger
        private_dir(self.ledger)

    def message(self, reminder: Reminder) -> EmailMessage:
        if not reminder.email:
            raise NoAddress(reminder.appointment_id)
        domain = self.sender.rsplit("@", 1)[-1] or "edflow"
        message = EmailMessage()
        message["From"], message["To"] = self.sender, reminder.email
        message["Subject"] = "Appointment reminder"
        message["Message-ID"] = f"<{reminder.reminder_id}@{domain}>"
        message.set_content(
            f"You have an appointment ({reminder.department}) on {reminder.start:%A %d %B %Y at %H:%M %Z}.\n"
            f"Reference: {reminder.appointment_id}\n"
            "If you cannot come, please call us so the time can go to another patient.\n"
        )
        return message

    def deliver(self, reminder: Reminder) -> str:
        message = self.message(reminder)
        sent = self.ledger / reminder.reminder_id
        if sent.exists():
            log.info("reminder %s was already accepted by the mail server", reminder.reminder_id)
            return str(message["Message-ID"])
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
        sent.touch()
        log.info(
            "reminder %s for appointment %s accepted by the mail server", reminder.reminder_id, reminder.appointment_id
        )
        return str(message["Message-ID"])
