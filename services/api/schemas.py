"""Request and response bodies of the command API.

Constraints live here so a malformed request is refused with a field-level
422 before any command runs. Unknown fields are refused too: a typo in a
field name must not silently record less than the caller meant.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from base.input_bounds import plain_text
from events.catalogue import AppointmentType, ArrivalMode, BedType, Disposition, LevelOfCare, Sex

# Surrounding whitespace is stripped before the length is checked, so a value
# of spaces only is refused: `\S` says so in the OpenAPI (it changes nothing here).
# Free text, names and codes also refuse control, bidirectional and invisible
# characters (base.input_bounds): none of these fields is multi-line. The
# pattern engine cannot say both at once, so the description says the second.
PLAIN = "no control, bidirectional or invisible characters"
Plain = AfterValidator(plain_text)
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"\S"),
    Plain,
    Field(description=PLAIN),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"\S"),
    Plain,
    Field(description=PLAIN),
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"\S"),
    Plain,
    Field(description=PLAIN),
]
# Ids that appear in URLs: letters, digits and . _ - only.
Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
# strict: a JSON integer literal (3, not 3.0 or "3"), which JSON Schema cannot tell apart from 3.0.
INTEGER_LITERAL = "an integer literal: 3, not 3.0"
Esi = Annotated[
    int,
    Field(strict=True, ge=1, le=5, description=f"Emergency Severity Index, 1 (most urgent) to 5; {INTEGER_LITERAL}"),
]
Age = Annotated[int, Field(strict=True, ge=0, le=130, description=INTEGER_LITERAL)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def one_of_set(*fields: str) -> dict[str, Any]:
    """The OpenAPI form of "send at least one of these fields, not null"."""
    return {"anyOf": [{"required": [f], "properties": {f: {"not": {"type": "null"}}}} for f in fields]}


class CommandBody(Body):
    """What every command accepts besides its own fields."""

    occurred_at: AwareDatetime | None = Field(
        default=None,
        description="when it happened, ISO 8601 with offset; default: now. At most the server's "
        "`max_future_seconds` (EDFLOW_MAX_FUTURE_SECONDS) ahead of its clock, else 422",
    )
    correlation_id: Code | None = None

    def for_idempotency(self) -> dict:
        return self.model_dump(mode="json")


class Patient(Body):
    mrn: Code | None = None
    family_name: Name | None = None
    given_name: Name | None = None
    birth_date: date | None = Field(default=None, description="not after today (the server's date), else 422")
    age_years: Age | None = None
    sex: Sex = "U"

    @model_validator(mode="after")
    def _birth_date_not_in_future(self):
        if self.birth_date is not None and self.birth_date > date.today():
            raise ValueError("birth_date is in the future")
        return self


class PatientCorrection(Patient):
    """Only the fields sent change; the rest keep their recorded value."""

    sex: Sex | None = None  # type: ignore[assignment]


# --- beds -------------------------------------------------------------------


class RegisterBed(CommandBody):
    bed_id: Key
    unit: Code
    bed_type: BedType = "acute"
    label: Name | None = None


class BlockBed(CommandBody):
    reason: Text


# --- encounters -------------------------------------------------------------


class Arrive(CommandBody):
    visit_number: Key
    patient: Patient
    arrival_mode: ArrivalMode = "walk-in"
    chief_complaint: Text | None = None


class Triage(CommandBody):
    esi: Esi


class AssignProvider(CommandBody):
    provider_id: Code


class AssignNurse(CommandBody):
    nurse_id: Code = Field(description="the nurse's staff id (never a name); 409 if already this patient's nurse")


class AssignBed(CommandBody):
    bed_id: Key


class DecideAdmit(CommandBody):
    level_of_care: LevelOfCare = "ward"
    inpatient_unit: Code | None = None


class Ventilation(CommandBody):
    action: Literal["start", "stop"] = Field(
        description="start: put on a ventilator (409 if already on one); stop: taken off (409 if not on one)"
    )


class Discharge(CommandBody):
    disposition: Disposition
    destination: Text | None = None


class Correction(CommandBody):
    reason: Text


class UpdateDetails(CommandBody):
    model_config = ConfigDict(json_schema_extra=one_of_set("patient", "chief_complaint", "arrival_mode"))

    patient: PatientCorrection | None = None
    chief_complaint: Text | None = None
    arrival_mode: ArrivalMode | None = None

    @model_validator(mode="after")
    def _something_to_update(self):
        if self.patient is None and self.chief_complaint is None and self.arrival_mode is None:
            raise ValueError("send at least one of patient, chief_complaint, arrival_mode")
        return self


# --- appointments -----------------------------------------------------------


class Interval(CommandBody):
    start: AwareDatetime
    end: AwareDatetime = Field(description="after start, else 422")

    @model_validator(mode="after")
    def _end_after_start(self):
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ContactIn(Body):
    """Where reminders go. A plain shape check: deliverability is the mail server's to judge."""

    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), Plain] | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()-]{5,20}$")] | None = None


class Book(Interval):
    """An appointment lasts at most 24 hours (422 otherwise)."""

    appointment_id: Key | None = None
    patient: Patient
    provider_id: Code
    department: Code
    appointment_type: AppointmentType
    reason: Text | None = None
    encounter_id: Code | None = Field(
        default=None, description="a visit of this facility (the ED stay it follows), else 422"
    )
    room_id: Code | None = Field(default=None, description="room reserved with the provider (never double-booked)")
    contact: ContactIn | None = None


class Reschedule(Interval):
    provider_id: Code | None = None


class CoverageIn(Body):
    payer: Name
    member_id: Code
    plan: Name | None = None
    effective_from: date | None = None
    effective_to: date | None = Field(default=None, description="not before effective_from, else 422")

    @model_validator(mode="after")
    def _period_in_order(self):
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class RequestVerification(CommandBody):
    coverage: CoverageIn


class VerificationResult(CommandBody):
    verified: Annotated[bool, Field(strict=True)]
    detail: Text | None = None
