"""Named domain errors. The edges map them: NotFound -> 404 / HL7 AE,
Conflict -> 409 / HL7 AE, Invalid -> 422 / HL7 AE."""

from __future__ import annotations


class DomainError(Exception):
    """A command the rules refuse. `code` is stable for clients."""

    code = "domain_error"

    def __init__(self, message: str, **details: object):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The command conflicts with the current state."""

    code = "conflict"


class Invalid(DomainError):
    """The command is malformed in a way only the domain can tell."""

    code = "invalid"


class AlreadyExists(Conflict):
    code = "already_exists"


class EncounterClosed(Conflict):
    code = "encounter_closed"


class NotYetArrived(Conflict):
    code = "before_arrival"


class BedNotAvailable(Conflict):
    code = "bed_not_available"


class PatientAlreadyInBed(Conflict):
    code = "patient_already_in_bed"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class SlotAlreadyBooked(Conflict):
    code = "slot_already_booked"


class ConcurrentChange(Conflict):
    code = "concurrent_change"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class OutsideWorkingHours(Conflict):
    code = "outside_working_hours"


class TimeBlockedError(Conflict):
    code = "time_blocked"


class ChecklistIncomplete(Conflict):
    code = "checklist_incomplete"


class ReminderAlreadySent(Conflict):
    code = "reminder_already_sent"


class OfferExpired(Conflict):
    code = "offer_expired"


class NoPayerLink(Conflict):
    """No payer endpoint is configured: a person verifies coverage."""

    code = "no_payer_link"


class PayerUnavailable(DomainError):
    """The payer gave no usable answer (timeout, refused, 5xx, malformed).
    `status` is the HTTP answer: 504 when it did not answer in time, else 502."""

    code = "payer_unavailable"

    def __init__(self, message: str, status: int = 502, **details: object):
        super().__init__(message, **details)
        self.status = status
        if status == 504:
            self.code = "payer_timeout"
