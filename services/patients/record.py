"""The write model of one patient record: its key (facility + MRN) and
whether it was merged into another record (then it takes no more changes
and is never a merge target) or absorbed others."""

from __future__ import annotations

import uuid

from events.catalogue import Fact, PatientRecordsMerged, PatientRecordUpdated
from services.application import derived_id
from services.recording import FlowAggregate, Meta


def patient_record_id(facility_id: str, mrn: str) -> uuid.UUID:
    return derived_id("patient", facility_id, mrn)


class PatientRecord(FlowAggregate):
    TOPIC = "edflow:PatientRecord"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:PatientRecord.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:PatientRecord.Recorded"

    @classmethod
    def open_with(cls, aggregate_id: uuid.UUID, fact: Fact, meta: Meta) -> PatientRecord:
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def record(self, fact: Fact, meta: Meta) -> None:
        self._record(fact, meta)

    def _apply(self, fact: Fact, meta: Meta) -> None:
        if not hasattr(self, "merged_from"):
            self.merged_into: str | None = None
            self.merged_from: list[str] = []
            self.mrn = ""
        match fact:
            case PatientRecordUpdated():
                self.mrn = fact.mrn
            case PatientRecordsMerged():
                if self.id == patient_record_id(meta.facility_id, fact.merged_mrn):
                    self.mrn, self.merged_into = fact.merged_mrn, fact.surviving_mrn
                else:
                    self.mrn = fact.surviving_mrn
                    self.merged_from.append(fact.merged_mrn)
