"""An auditor's view of one visit, and of one patient across visits: every
event, who caused it, when it happened and when it was recorded — including
the bed and calendar events it caused — with corrections linked to what they
corrected (services/audit/timeline_rows.py).

A patient is a record of the patient index (services/patients/): its
visits and appointments are those whose arrival (or a later details
correction) or booking carried its MRN or the MRN of a record merged into it
(an HL7 A40, or a merge by a person). Asked for a merged MRN, the timeline is
the surviving record's, and the merge itself is shown, as are the record's
own changes.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal, NamedTuple

from base.input_bounds import text_problem
from base.store_log import records
from events.catalogue import AppointmentBooked, PatientArrived, PatientDetailsUpdated
from services.audit.timeline_rows import Rows
from services.ed.application import encounter_id_for
from services.errors import Invalid, NotFound
from services.patients.index import PatientIndex
from services.patients.record import PatientRecord, patient_record_id

ENCOUNTER_TOPICS = ("edflow:Encounter.Created", "edflow:Encounter.Recorded")
APPOINTMENT_TOPICS = ("edflow:Appointment.Created", "edflow:Appointment.Recorded")
# Other aggregates' events that belong to a visit (beds) or an appointment (calendars).
PATIENT_TOPICS = ("edflow:PatientRecord.Created", "edflow:PatientRecord.Recorded")
RELATED_TOPICS = (
    "edflow:Bed.Created",
    "edflow:Bed.Recorded",
    "edflow:ProviderDay.Recorded",
    "edflow:ProviderDay.Created",
    "edflow:RoomDay.Recorded",
    "edflow:RoomDay.Created",
)
MRN_MAX_LENGTH = 64


class Record(NamedTuple):
    """One visit or appointment of the timeline."""

    kind: Literal["visit", "appointment", "patient"]
    aggregate_id: uuid.UUID
    reference: str  # the visit number, the scheduler's appointment id, or the record's MRN

    def fields(self) -> dict[str, str]:
        return {"kind": self.kind, "record_id": str(self.aggregate_id), "reference": self.reference}

    def ref(self) -> str:
        """As the access log names it: `Encounter/<id>`, `Appointment/<id>`."""
        if self.kind == "patient":
            return f"Patient/{self.reference}"
        return f"Encounter/{self.aggregate_id}" if self.kind == "visit" else f"Appointment/{self.reference}"


def visit_timeline(app, facility_id: str, visit: str) -> list[dict[str, Any]]:
    """Every event of one visit, in store order."""
    try:
        encounter_id = uuid.UUID(visit)
    except ValueError:
        encounter_id = encounter_id_for(facility_id, visit)
    try:
        encounter = app.encounter(facility_id, encounter_id)  # unknown, or another facility's visit
    except NotFound:
        raise NotFound(f"visit {visit} not found in facility {facility_id}") from None
    rows = _rows(app, facility_id, {encounter_id: Record("visit", encounter_id, encounter.visit_number)})
    if not rows:
        raise NotFound(f"visit {visit} not found")
    return rows


def visit_mrn(app, facility_id: str, visit: str) -> str | None:
    """The MRN the visit carries now (its arrival's, or a later correction's), if any."""
    try:
        encounter_id = uuid.UUID(visit)
    except ValueError:
        encounter_id = encounter_id_for(facility_id, visit)
    mrn = None
    for event in app.repository.event_store.get(encounter_id):
        fact = getattr(event, "fact", None)
        if isinstance(fact, PatientArrived | PatientDetailsUpdated) and fact.patient and fact.patient.mrn:
            mrn = fact.patient.mrn.strip()
    return mrn


def check_mrn(mrn: str) -> str:
    """The MRN as searched (surrounding spaces stripped), or Invalid."""
    stripped = mrn.strip()
    if not stripped or len(stripped) > MRN_MAX_LENGTH:
        raise Invalid(f"mrn must be 1 to {MRN_MAX_LENGTH} characters, not blank", field="mrn")
    problem = text_problem(stripped)
    if problem is not None:
        raise Invalid(f"mrn: {problem}", field="mrn")
    return stripped


def merge_group(app, facility_id: str, mrn: str) -> list[str]:
    """The record `mrn` leads to (the survivor of any merge) first, then every MRN merged into it."""
    index = app.patient_index() if hasattr(app, "patient_index") else PatientIndex(app)
    return index.facility(facility_id).group(mrn)


def patient_records(app, facility_id: str, mrns: set[str]) -> dict[uuid.UUID, Record]:
    """The visits and appointments of `facility_id` that carried one of `mrns`,
    in the order they began, then the patient-index records of `mrns`."""
    found: dict[uuid.UUID, Record] = {}
    for _, event in records(app, topics=(*ENCOUNTER_TOPICS, APPOINTMENT_TOPICS[0])):
        fact, meta = getattr(event, "fact", None), getattr(event, "meta", None)
        if meta is None or meta.facility_id != facility_id or event.originator_id in found:
            continue
        if isinstance(fact, PatientArrived | PatientDetailsUpdated):
            if fact.patient is not None and fact.patient.mrn is not None and fact.patient.mrn.strip() in mrns:
                # A details correction names no visit number: the arrival is read below.
                found[event.originator_id] = Record("visit", event.originator_id, "")
        elif isinstance(fact, AppointmentBooked) and fact.patient.mrn is not None and fact.patient.mrn.strip() in mrns:
            found[event.originator_id] = Record("appointment", event.originator_id, fact.appointment_id or "")
    for mrn in sorted(mrns):
        record = app.find(PatientRecord, patient_record_id(facility_id, mrn))
        if record is not None and record.facility_id == facility_id:
            found[record.id] = Record("patient", record.id, mrn)
    return found


def patient_timeline(
    app, facility_id: str, mrn: str, by: Literal["occurred", "recorded"] = "occurred"
) -> tuple[list[Record], list[dict[str, Any]]]:
    """The patient's visits and appointments, and all their events ordered
    by occurred time (or recorded time), store order among equals."""
    mrn = check_mrn(mrn)
    found = patient_records(app, facility_id, set(merge_group(app, facility_id, mrn)))
    if not found:
        raise NotFound(f"no visit or appointment with that MRN in facility {facility_id}")
    for aggregate_id, record in list(found.items()):
        if record.kind == "visit":
            found[aggregate_id] = record._replace(reference=app.encounter(facility_id, aggregate_id).visit_number)
    rows = _rows(app, facility_id, found)
    key = "occurred_at" if by == "occurred" else "recorded_at"
    rows.sort(key=lambda row: (row[key], row["position"]))
    return list(found.values()), rows


def _rows(app, facility_id: str, members: dict[uuid.UUID, Record]) -> list[dict[str, Any]]:
    """The rows of every event of `members`, and of the bed and calendar
    events that name one of them, in store order."""
    by_encounter = {str(r.aggregate_id): r for r in members.values() if r.kind == "visit"}
    by_appointment = {r.reference: r for r in members.values() if r.kind == "appointment"}
    rows = Rows()
    topics = (*ENCOUNTER_TOPICS, *APPOINTMENT_TOPICS, *PATIENT_TOPICS, *RELATED_TOPICS)
    for notification, event in records(app, topics=topics):
        fact, meta = getattr(event, "fact", None), getattr(event, "meta", None)
        if fact is None or meta is None or meta.facility_id != facility_id:
            continue
        rows.see_bed(event.originator_id, fact)
        record = members.get(event.originator_id)
        if record is None:
            record = by_encounter.get(getattr(fact, "encounter_id", None) or "")
        if record is None and notification.topic.split(":")[1].split(".")[0] in ("ProviderDay", "RoomDay"):
            record = by_appointment.get(getattr(fact, "appointment_id", None) or "")
        if record is not None:
            rows.add(notification, event, record.fields())
    return rows.rows
