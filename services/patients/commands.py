"""Patient-index commands: change a record's details (an HL7 A08 without a
visit, or a person's correction) and merge a duplicate record into the
surviving one (an HL7 A40, or a person's merge). Each says why; the actor
in `Meta` says who.

Refused, with nothing recorded: an MRN the index does not know (NotFound),
a merge of a record into itself, into a record that was merged, or of a
record that was merged already, and a change to a merged record (Conflict).
"""

from __future__ import annotations

import threading
from typing import Unpack

import msgspec

from base.input_bounds import check_birth_date
from events.catalogue import Contact, Coverage, PatientRecordsMerged, PatientRecordUpdated, Person
from services.application import HospitalBase, Idempotency, Outcome
from services.bounds import refused_as_invalid
from services.errors import Conflict, Invalid, NotFound
from services.patients.entry import DETAILS, Entry
from services.patients.index import FacilityIndex, PatientIndex
from services.patients.record import PatientRecord, patient_record_id
from services.recording import Meta

_index_lock = threading.Lock()
_MERGES = threading.Lock()  # see merge_patients


class MergedRecord(Conflict):
    """The record was merged into another: it takes no changes and is never a merge target."""

    code = "record_merged"


class SelfMerge(Conflict):
    code = "merge_into_itself"


class PatientCommands(HospitalBase):
    _patients: PatientIndex | None = None

    def patient_index(self) -> PatientIndex:
        """This process's patient index over the store (caught up by each read)."""
        with _index_lock:
            if self._patients is None:
                self._patients = PatientIndex(self)
        return self._patients

    def patient_entry(self, facility_id: str, mrn: str) -> tuple[FacilityIndex, Entry]:
        index = self.patient_index().facility(facility_id)
        entry = index.entries.get(mrn)
        if entry is None:
            raise NotFound(f"patient {mrn} not found in facility {facility_id}", mrn=mrn)
        return index, entry

    def _record_of(self, facility_id: str, mrn: str) -> PatientRecord | None:
        record = self.find(PatientRecord, patient_record_id(facility_id, mrn))
        return record if record is not None and record.facility_id == facility_id else None

    def _open_or_record(self, facility_id: str, mrn: str, fact: PatientRecordUpdated | PatientRecordsMerged,
                        meta: Meta) -> PatientRecord:  # fmt: skip
        record = self._record_of(facility_id, mrn)
        if record is None:
            return PatientRecord.open_with(patient_record_id(facility_id, mrn), fact, meta)
        record.record(fact, meta)
        return record

    def update_patient(
        self,
        meta: Meta,
        mrn: str,
        reason: str,
        patient: Person | None = None,
        contact: Contact | None = None,
        coverage: Coverage | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        """Change what the record states; only the values that differ are recorded
        (nothing at all when none does)."""
        if patient is not None:
            with refused_as_invalid("birth_date"):
                check_birth_date(patient.birth_date, meta.occurred_at)

        def decide():
            with self.patient_index().lock:
                _, entry = self.patient_entry(meta.facility_id, mrn)
                record = self._record_of(meta.facility_id, mrn)
                merged_into = record.merged_into if record is not None else entry.merged_into
                if merged_into is not None:
                    raise MergedRecord(f"patient {mrn} was merged into {merged_into}; change that record", mrn=mrn)
                fact = _changes(entry, mrn, reason, patient, contact, coverage)
            if fact is None:
                return mrn, []
            return mrn, [self._open_or_record(meta.facility_id, mrn, fact, meta)]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def merge_patients(
        self, meta: Meta, merged_mrn: str, surviving_mrn: str, reason: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        """Merge the duplicate `merged_mrn` into `surviving_mrn`: its visits and
        appointments belong to the survivor from now on; both records' history shows it."""

        def decide():
            if merged_mrn == surviving_mrn:
                raise SelfMerge(f"patient {merged_mrn} cannot be merged into itself", field="surviving_mrn")
            with self.patient_index().lock:  # another thread's catch-up does not move records meanwhile
                index, _ = self.patient_entry(meta.facility_id, merged_mrn)
                self.patient_entry(meta.facility_id, surviving_mrn)
                records = {m: self._record_of(meta.facility_id, m) for m in (merged_mrn, surviving_mrn)}
                for mrn, what in ((surviving_mrn, "into"), (merged_mrn, "from")):
                    record = records[mrn]
                    into = record.merged_into if record is not None else index.entries[mrn].merged_into
                    # Each side's record also names what it absorbed: a merge already
                    # recorded is refused even when read from the other record.
                    other = merged_mrn if mrn == surviving_mrn else surviving_mrn
                    other_record = records[other]
                    absorbed = other_record.merged_from if other_record is not None else []
                    into = into or (other if mrn in absorbed else None)
                    if into is not None:
                        message = f"patient {mrn} was already merged into {into}; cannot merge {what} it"
                        raise MergedRecord(message, mrn=mrn, merged_into=into)
                fact = PatientRecordsMerged(
                    surviving_mrn=surviving_mrn,
                    merged_mrn=merged_mrn,
                    visits=tuple(sorted(index.visits_of(merged_mrn).values())),
                    appointments=tuple(sorted(index.appointments_of(merged_mrn).values())),
                    reason=reason,
                )
            changed = [self._open_or_record(meta.facility_id, m, fact, meta) for m in (merged_mrn, surviving_mrn)]
            return surviving_mrn, changed

        # Merges in one process are decided and saved one at a time: a merge
        # decided while another's save is still pending could repeat it.
        # Processes sharing a store rely on the records' version check.
        with _MERGES:
            return self.run(decide, facility_id=meta.facility_id, **idem)


def _changes(
    entry: Entry, mrn: str, reason: str, patient: Person | None, contact: Contact | None, coverage: Coverage | None
) -> PatientRecordUpdated | None:
    """The update naming only what differs from the record; None when nothing does."""
    if not reason.strip():
        raise Invalid("a change of a patient record needs a reason", field="reason")
    changed_person: dict[str, object] = {}
    if patient is not None:
        for name in DETAILS:
            value = getattr(patient, name)
            if value is not None and not (name == "sex" and value == "U") and entry.details.get(name) != value:
                changed_person[name] = value
    new_contact = None
    if contact is not None:
        old = entry.contact or Contact()
        parts = {n: v for n in ("email", "phone") if (v := getattr(contact, n)) is not None and v != getattr(old, n)}
        new_contact = Contact(**parts) if parts else None
    new_coverage = coverage if coverage is not None and coverage != entry.coverage else None
    if not changed_person and new_contact is None and new_coverage is None:
        return None
    person = msgspec.structs.replace(Person(mrn=mrn), **changed_person) if changed_person else None
    return PatientRecordUpdated(mrn=mrn, patient=person, contact=new_contact, coverage=new_coverage, reason=reason)
