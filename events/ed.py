"""The emergency department's facts: a visit from arrival to departure
(with its corrections), and the beds it moves through."""

from __future__ import annotations

from typing import Literal

from events.common import Fact, Person

ArrivalMode = Literal["walk-in", "ambulance", "helicopter", "police", "transfer", "other"]
Disposition = Literal["home", "admitted", "transferred", "left-against-advice", "died"]
LevelOfCare = Literal["ward", "icu", "observation"]
BedType = Literal["resus", "acute", "fast-track", "hallway", "observation", "psych", "exam"]


# --- ED encounter -----------------------------------------------------------


class PatientArrived(Fact, frozen=True, kw_only=True):
    visit_number: str
    patient: Person
    arrival_mode: ArrivalMode = "walk-in"
    chief_complaint: str = ""


class PatientTriaged(Fact, frozen=True, kw_only=True):
    esi: int


class ProviderAssigned(Fact, frozen=True, kw_only=True):
    provider_id: str


class NurseAssigned(Fact, frozen=True, kw_only=True):
    """The patient's nurse, assigned or changed (staff id, never a name)."""

    nurse_id: str


class BedAssigned(Fact, frozen=True, kw_only=True):
    bed_id: str
    unit: str


class PatientTransferred(Fact, frozen=True, kw_only=True):
    from_bed_id: str | None
    to_bed_id: str
    to_unit: str


class BedVacated(Fact, frozen=True, kw_only=True):
    """The patient left their bed but is still in the department."""

    bed_id: str


class AdmitDecided(Fact, frozen=True, kw_only=True):
    level_of_care: LevelOfCare = "ward"
    inpatient_unit: str | None = None


class PatientDischarged(Fact, frozen=True, kw_only=True):
    disposition: Disposition
    destination: str | None = None


class PatientLeftWithoutBeingSeen(Fact, frozen=True, kw_only=True):
    pass


class ArrivalCancelled(Fact, frozen=True, kw_only=True):
    """Correction: the arrival was recorded in error; the stay never happened."""

    reason: str


class DischargeCancelled(Fact, frozen=True, kw_only=True):
    """Correction: the discharge was recorded in error; the stay goes on."""

    reason: str


class VentilationStarted(Fact, frozen=True, kw_only=True):
    """The patient was put on a ventilator in the department (a NEDOCS input)."""


class VentilationStopped(Fact, frozen=True, kw_only=True):
    """The patient came off the ventilator; leaving the department ventilated
    (to the ICU, say) needs no stop: departure ends the department's count."""


class PatientDetailsUpdated(Fact, frozen=True, kw_only=True):
    """Correction or update of demographics or complaint; unset fields keep their value."""

    patient: Person | None = None
    chief_complaint: str | None = None
    arrival_mode: ArrivalMode | None = None


# --- beds -------------------------------------------------------------------


class BedRegistered(Fact, frozen=True, kw_only=True):
    bed_id: str
    unit: str
    bed_type: BedType = "acute"
    label: str = ""


class BedOccupied(Fact, frozen=True, kw_only=True):
    encounter_id: str


class BedReleased(Fact, frozen=True, kw_only=True):
    """The patient left the bed; it is dirty until cleaned."""

    encounter_id: str


class BedCleaningStarted(Fact, frozen=True, kw_only=True):
    pass


class BedCleaned(Fact, frozen=True, kw_only=True):
    pass


class BedBlocked(Fact, frozen=True, kw_only=True):
    reason: str


class BedUnblocked(Fact, frozen=True, kw_only=True):
    pass
