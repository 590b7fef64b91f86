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
