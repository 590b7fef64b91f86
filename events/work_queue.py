"""The scheduler's work queue as a read model: its entries, their codec, and
what a reader of the queue offers. Published contract, like the board.

The projection (`projections.work_queue`) folds events into these entries,
one per key; the services read them through a `WorkQueueSource` that the
process's composition root hands in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec


class _QueueEntry(msgspec.Struct, kw_only=True, tag=True, tag_field="entry", omit_defaults=True):
    pass


class QueueWatermark(_QueueEntry, kw_only=True):
    position: int = 0


class QueueAppointment(_QueueEntry, kw_only=True):
    id: str  # aggregate id
    appointment_id: str
    department: str
    provider_id: str
    appointment_type: str
    start: datetime
    end: datetime
    booked_at: datetime
    status: str = "booked"
    status_at: datetime | None = None
    insurance: str = "unverified"
    # Why a check failed (the payer's reason, or why it gave no answer).
    insurance_note: str = ""
    confirmed: bool = False
    checklist_done: list[str] = []
    reminders_sent: list[int] = []
    room_id: str | None = None
    initials: str = ""
    reschedules: int = 0


class QueueOffer(_QueueEntry, kw_only=True):
    waitlist_id: str
    entry_id: str
    provider_id: str
    start: datetime
    end: datetime
    expires_at: datetime


class QueueCallBack(_QueueEntry, kw_only=True):
    """A call-back a contact asked for, open until a later contact does it or it is cancelled."""

    log_id: str  # the patient's contact-log aggregate id
    contact_id: str
    due: datetime
    channel: str
    reason: str
    logged_at: datetime
    initials: str = ""
    appointment_id: str | None = None


QueueEntry = QueueWatermark | QueueAppointment | QueueOffer | QueueCallBack
_encoder, _decoder = msgspec.json.Encoder(), msgspec.json.Decoder(QueueEntry)


def encode_queue_entry(entry: QueueEntry) -> bytes:
    return _encoder.encode(entry)


def decode_queue_entry(raw: bytes | str) -> QueueEntry:
    return _decoder.decode(raw)


class WorkQueueSource(Protocol):
    """A work-queue table kept current from the event store."""

    def catch_up(self) -> int:
        """Fold everything recorded since the last call; the position reached."""
        ...

    def entries(self, facility_id: str) -> list[QueueEntry]:
        """One facility's entries."""
        ...

    def facilities(self) -> list[str]:
        """Every facility with entries."""
        ...
