"""The patient index: a read model over the store's log, one record per MRN
per facility, kept in memory by each process and caught up from the log
(through `base.store_log`) before every read, like the FHIR search index.
The store stays the source of truth: a read sees everything committed before
it began, whichever process recorded it.

What feeds a record:
- registrations (`PatientArrived`) and visit corrections (`PatientDetailsUpdated`,
  which may move a visit to another MRN), over HTTP or HL7 (A04, A01, A08);
- bookings (`AppointmentBooked`, with the contact details) and the coverage
  checks of those appointments (`InsuranceVerification*`);
- the contact log (a contact makes the MRN known);
- the record's own facts (`PatientRecordUpdated`, `PatientRecordsMerged`).

Demographics are the latest value stated for each field, in log order. A
visit or appointment belongs to the MRN it carries; a merge points that MRN at
the surviving record, so everything of the merged MRN (and what arrives under
it later) is found under the survivor (`FacilityIndex.survivor`).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from base.store_log import records
from events.catalogue import (
    AppointmentBooked,
    InsuranceVerificationFailed,
    InsuranceVerificationRequested,
    InsuranceVerified,
    PatientArrived,
    PatientContacted,
    PatientDetailsUpdated,
    PatientRecordsMerged,
    PatientRecordUpdated,
    Person,
)
from services.access.contacts import ContactLog
from services.access.domainmodel import Appointment
from services.ed.domainmodel import Encounter
from services.patients.entry import CoverageCheck, Entry, history_item, merged_contact, search_keys, stated_mrn
from services.patients.record import PatientRecord, patient_record_id

TOPICS = [
    get_topic(c)
    for c in (Encounter.Created, Encounter.Recorded, Appointment.Created, Appointment.Recorded,
              ContactLog.Created, PatientRecord.Created, PatientRecord.Recorded)
]  # fmt: skip


class FacilityIndex:
    def __init__(self, facility_id: str):
        self.facility_id = facility_id
        self.entries: dict[str, Entry] = {}
        self.visit_mrn: dict[UUID, str] = {}
        self.visit_numbers: dict[UUID, str] = {}
        self.appointment_mrn: dict[UUID, str] = {}
        self.checks: dict[UUID, list[CoverageCheck]] = {}
        # What searches look up instead of judging every record: MRN in any
        # case, (name, MRN) sorted by case-folded name (a prefix is a bisected
        # range of it), the birth date.
        self.by_mrn: dict[str, set[str]] = {}
        self.names: list[tuple[str, str]] = []
        self.by_birth: dict[date, set[str]] = {}

    def entry(self, mrn: str, position: int) -> Entry:
        found = self.entries.get(mrn)
        if found is None:
            found = self.entries[mrn] = Entry(mrn, position)
            self.by_mrn.setdefault(mrn.casefold(), set()).add(mrn)
        return found

    def state(self, entry: Entry, person: Person | None) -> None:
        """`entry` takes what `person` states; the search keys follow."""
        if person is None:
            return
        before = search_keys(entry)
        entry.state(person)
        after = search_keys(entry)
        if before == after:
            return
        for name in before[0] - after[0]:
            del self.names[bisect.bisect_left(self.names, (name, entry.mrn))]
        for name in after[0] - before[0]:
            bisect.insort(self.names, (name, entry.mrn))
        if before[1] != after[1]:
            if before[1] is not None:
                self.by_birth[before[1]].discard(entry.mrn)
            if after[1] is not None:
                self.by_birth.setdefault(after[1], set()).add(entry.mrn)

    def candidates(self, mrn: str | None, tokens: list[str], born: date | None) -> list[Entry]:
        """Records that may match (a superset of those that do); all of them when nothing narrows it."""
        narrowed: list[set[str]] = []
        if mrn is not None:
            narrowed.append(self.by_mrn.get(mrn.casefold(), set()))
        if born is not None:
            narrowed.append(self.by_birth.get(born, set()))
        narrowed += [self._starting(token) for token in tokens]
        if not narrowed:
            return list(self.entries.values())
        return [self.entries[m] for m in set.intersection(*narrowed)]

    def survivor(self, mrn: str) -> str:
        """The unmerged record `mrn` leads to (itself when not merged)."""
        seen = {mrn}
        while (entry := self.entries.get(mrn)) is not None and entry.merged_into is not None:
            mrn = entry.merged_into
            if mrn in seen:  # never recorded (merges into merged records are refused); never loop
                break
            seen.add(mrn)
        return mrn

    def group(self, mrn: str) -> list[str]:
        """The survivor of `mrn` first, then every MRN merged into it (directly or not)."""
        found, pending = [], [self.survivor(mrn)]
        while pending:
            current = pending.pop(0)
            if current in found:
                continue
            found.append(current)
            entry = self.entries.get(current)
            pending.extend(entry.merged_from if entry else ())
        return found

    def _starting(self, prefix: str) -> set[str]:
        """The MRNs with a name that starts with `prefix` (case-folded)."""
        first = bisect.bisect_left(self.names, (prefix, ""))
        last = bisect.bisect_left(self.names, (prefix + "\U0010ffff", ""))
        return {mrn for _, mrn in self.names[first:last]}

    def visits_of(self, mrn: str) -> dict[UUID, str]:
        """Every visit of the record `mrn` leads to, merged records' included."""
        return {k: v for m in self.group(mrn) if (e := self.entries.get(m)) for k, v in e.visits.items()}

    def appointments_of(self, mrn: str) -> dict[UUID, str]:
        return {k: v for m in self.group(mrn) if (e := self.entries.get(m)) for k, v in e.appointments.items()}

    # --- folding ------------------------------------------------------------

    def fold(self, position: int, event: Any) -> None:
        fact, meta, aggregate = event.fact, event.meta, event.originator_id
        match fact:
            case PatientArrived():
                self.visit_numbers[aggregate] = fact.visit_number
                self._visit_carries(aggregate, fact.patient, position)
            case PatientDetailsUpdated() if fact.patient is not None:
                self._visit_carries(aggregate, fact.patient, position)
            case AppointmentBooked() if (mrn := stated_mrn(fact.patient)) is not None:
                entry = self.entry(mrn, position)
                entry.appointments[aggregate] = fact.appointment_id or str(aggregate)
                self.appointment_mrn[aggregate] = mrn
                self.state(entry, fact.patient)
                entry.contact = fact.contact or entry.contact
            case InsuranceVerificationRequested():
                check = CoverageCheck(aggregate, fact.coverage.payer, fact.coverage.plan, meta.occurred_at,
                                      meta.actor.id)  # fmt: skip
                self.checks.setdefault(aggregate, []).append(check)
                if (mrn := self.appointment_mrn.get(aggregate)) is not None:
                    self.entry(mrn, position).coverage = fact.coverage
            case InsuranceVerified() | InsuranceVerificationFailed() if self.checks.get(aggregate):
                last = self.checks[aggregate][-1]
                last.status = "verified" if isinstance(fact, InsuranceVerified) else "failed"
                last.note = fact.reference if isinstance(fact, InsuranceVerified) else fact.reason
                last.answered_at, last.answered_by = meta.occurred_at, meta.actor.id
            case PatientContacted() if (mrn := stated_mrn(fact.patient)) is not None:
                self.state(self.entry(mrn, position), fact.patient)
            case PatientRecordUpdated():
                entry = self.entry(fact.mrn, position)
                self.state(entry, fact.patient)
                entry.contact = merged_contact(entry.contact, fact.contact)
                entry.coverage = fact.coverage or entry.coverage
                entry.history.append(history_item(position, event, fact.reason))
            case PatientRecordsMerged():
                merged, surviving = self.entry(fact.merged_mrn, position), self.entry(fact.surviving_mrn, position)
                if merged.merged_into is None:
                    merged.merged_into = fact.surviving_mrn
                    surviving.merged_from.append(fact.merged_mrn)
                mine = merged if aggregate == patient_record_id(self.facility_id, fact.merged_mrn) else surviving
                mine.history.append(history_item(position, event, fact.reason))

    def _visit_carries(self, visit: UUID, patient: Person, position: int) -> None:
        """The visit belongs to the MRN it now carries; its details go to that record."""
        mrn = stated_mrn(patient) or self.visit_mrn.get(visit)
        if mrn is None:
            return
        before = self.visit_mrn.get(visit)
        if before is not None and before != mrn:
            self.entries[before].visits.pop(visit, None)
        entry = self.entry(mrn, position)
        entry.visits[visit] = self.visit_numbers.get(visit, "")
        self.visit_mrn[visit] = mrn
        self.state(entry, patient)


def _order(entry: Entry) -> tuple[bool, str, str, str]:
    """Search results: unmerged records first, by family and given name, then MRN."""
    details = entry.details
    return (
        entry.merged_into is not None,
        str(details.get("family_name") or ""),
        str(details.get("given_name") or ""),
        entry.mrn,
    )


class PatientIndex:
    """Every facility's records, caught up from the log on each read."""

    def __init__(self, app: Any):
        self.app = app
        self.position = 0
        self.facilities: dict[str, FacilityIndex] = {}
        self.lock = threading.RLock()

    def catch_up(self) -> int:
        with self.lock:
            latest = self.app.recorder.max_notification_id() or 0
            if latest > self.position:
                for notification, event in records(self.app, self.position, topics=TOPICS, stop=latest):
                    meta = getattr(event, "meta", None)
                    if meta is None or getattr(event, "fact", None) is None:
                        continue
                    facility = meta.facility_id
                    index = self.facilities.get(facility)
                    if index is None:
                        index = self.facilities[facility] = FacilityIndex(facility)
                    index.fold(notification.id, event)
                self.position = latest
            return self.position

    def facility(self, facility_id: str) -> FacilityIndex:
        """The facility's index, caught up now (an empty one for a facility with no records).
        Hold `lock` while reading it if other threads may catch up meanwhile."""
        self.catch_up()
        with self.lock:
            return self.facilities.get(facility_id) or FacilityIndex(facility_id)

    def search(self, facility_id: str, mrn: str | None, name: str | None, born: date | None, limit: int) -> list[Entry]:
        tokens = [t.casefold() for t in (name or "").replace(",", " ").split()]
        with self.lock:
            index = self.facility(facility_id)
            found = [e for e in index.candidates(mrn, tokens, born) if e.matches(mrn, tokens, born)]
        found.sort(key=_order)
        return found[:limit]

    def __iter__(self) -> Iterator[FacilityIndex]:
        return iter(self.facilities.values())
