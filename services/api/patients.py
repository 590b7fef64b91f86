"""The patient index: search by MRN, name or birth date; one patient's view
(visits, appointments, coverage checks, contacts, the record's history);
corrections of the record; and the merge of a duplicate record into the
surviving one. Every search and view is an audited read: the query is on
the access log before anything is looked up, and the records returned after.
Schedulers and admins see identity; other readers see initials, age and sex."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import ConfigDict, Field, model_validator

from events.catalogue import Contact, Coverage, Person, Sex
from services.api.contacts import Mrn
from services.api.deps import Command, HospitalDep, Reader
from services.api.one_hop import OneHopRoute
from services.api.query_types import IsoDate
from services.api.replies import ERROR_RESPONSES, OutcomeOut
from services.api.schemas import CommandBody, ContactIn, CoverageIn, Name, Text, one_of_set
from services.errors import Invalid
from services.patients.view import patient_view, search_result

router = APIRouter(tags=["patients"], responses=ERROR_RESPONSES, route_class=OneHopRoute)

MAX_RESULTS = 50
MrnPattern = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CORRECTABLE = ("family_name", "given_name", "birth_date", "sex", "contact", "coverage")
NO_CRITERION = "search by at least one of mrn, name, birth_date"


class PatientRecordCorrection(CommandBody):
    """Only what is sent changes, and only values that differ are recorded
    (no event at all when none does). `reason` says why; the token says who."""

    model_config = ConfigDict(json_schema_extra=one_of_set(*CORRECTABLE))

    reason: Text
    family_name: Name | None = None
    given_name: Name | None = None
    birth_date: date | None = Field(default=None, description="not after the correction's day, else 422")
    sex: Sex | None = None
    contact: ContactIn | None = None
    coverage: CoverageIn | None = None

    @model_validator(mode="after")
    def _something_to_correct(self):
        if all(getattr(self, name) is None for name in CORRECTABLE):
            raise ValueError(f"send at least one of {', '.join(CORRECTABLE)}")
        return self


class MergeRecords(CommandBody):
    """Merge this (duplicate) record into `into`, the surviving record."""

    into: Annotated[str, Field(min_length=1, max_length=64, pattern=MrnPattern, description="the surviving MRN")]
    reason: Text


@router.get("/patients", name="patients.search")
def search_patients(
    reader: Reader,
    mrn: Annotated[str | None, Query(min_length=1, max_length=64, pattern=MrnPattern)] = None,
    name: Annotated[
        str | None, Query(min_length=1, max_length=100, description="words matching the start of a name")
    ] = None,
    birth_date: Annotated[IsoDate | None, Query(description="YYYY-MM-DD")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS)] = 20,
) -> dict:
    """Records matching every criterion given (at least one, else 422): MRN exactly
    (any case), each word of `name` the start of the family or given name,
    the birth date exactly. Unmerged records first, by name."""
    if mrn is None and birth_date is None and not (name or "").strip():
        raise Invalid(NO_CRITERION, field="mrn")
    patients = reader.hospital.patient_index()
    with patients.lock:  # another request's catch-up does not move records under this one
        found = patients.search(reader.facility_id, mrn, name, birth_date, limit)
        index = patients.facility(reader.facility_id)
        results = [search_result(index, entry, reader.sees_identity) for entry in found]
    reader.disclosed([f"Patient/{entry.mrn}" for entry in found])
    return {"results": results, "count": len(results)}


@router.get("/patients/{mrn}", name="patients.read")
def read_patient(mrn: Mrn, reader: Reader) -> dict:
    """One record: details, contact and coverage, its visits and appointments
    (those of the records merged into it included), coverage checks,
    contacts, and its history of changes and merges. A merged record shows
    where it went (`merged_into`) and its history; 404 for an unknown MRN."""
    patients = reader.hospital.patient_index()
    with patients.lock:
        index = patients.facility(reader.facility_id)
        view, disclosed = patient_view(reader.hospital, index, mrn, reader.sees_identity)
    reader.disclosed(disclosed)
    return view


@router.post("/patients/{mrn}/corrections", name="patients.correct", response_model=OutcomeOut)
def correct_patient(mrn: Mrn, body: PatientRecordCorrection, command: Command, hospital: HospitalDep):
    """Correct the record's details, contact or coverage (404 unknown MRN,
    409 a merged record: correct the survivor)."""
    patient = None
    if any(v is not None for v in (body.family_name, body.given_name, body.birth_date, body.sex)):
        patient = Person(mrn=mrn, family_name=body.family_name, given_name=body.given_name,
                         birth_date=body.birth_date, sex=body.sex or "U")  # fmt: skip
    contact = Contact(**body.contact.model_dump()) if body.contact is not None else None
    coverage = None
    if body.coverage is not None:
        coverage = Coverage(**{**body.coverage.model_dump(), "plan": body.coverage.plan or ""})
    return command(hospital.update_patient, body, mrn, body.reason, patient=patient, contact=contact,
                   coverage=coverage)  # fmt: skip


@router.post("/patients/{mrn}/merge", name="patients.merge", response_model=OutcomeOut)
def merge_patient(
    mrn: Annotated[str, Path(min_length=1, max_length=64, pattern=MrnPattern, description="the duplicate MRN")],
    body: MergeRecords,
    command: Command,
    hospital: HospitalDep,
):
    """Merge this duplicate record into `into`: its visits and appointments
    belong to the survivor from now on, and both records' history shows the
    merge. 404 for an unknown MRN; 409 for a merge into itself, into a merged
    record, or of a record merged already."""
    return command(hospital.merge_patients, body, mrn, body.into, body.reason)
