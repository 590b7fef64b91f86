"""The patient index's facts: one record per patient per facility, keyed by
MRN. Registrations and bookings feed the index through their own facts
(`PatientArrived`, `PatientDetailsUpdated`, `AppointmentBooked`); these are
the facts of the record itself: a change of its details (an HL7 A08 without
a visit, or a person's correction) and the merge of a duplicate MRN into the
surviving one (an HL7 A40, or a person's merge). Each says why; who did it is
the event's actor.

The class name is the event's published `type` and its stored tag: renaming a
class breaks every stored and published event of that type, so don't — add a
new type and an upcaster instead.
"""

from __future__ import annotations

from events.access import Contact, Coverage
from events.common import Fact, Person


class PatientRecordUpdated(Fact, frozen=True, kw_only=True):
    """The record's demographics, contact or coverage changed; unset parts keep
    their value. `mrn` is the record's key (never changed here: a merge does that)."""

    mrn: str
    patient: Person | None = None
    contact: Contact | None = None
    coverage: Coverage | None = None
    reason: str


class PatientRecordsMerged(Fact, frozen=True, kw_only=True):
    """A duplicate record (`merged_mrn`) was merged into the surviving one:
    its visits and appointments (as they stood, by visit number and
    appointment id) now belong to the survivor. Recorded on both records."""

    surviving_mrn: str
    merged_mrn: str
    visits: tuple[str, ...] = ()
    appointments: tuple[str, ...] = ()
    reason: str
