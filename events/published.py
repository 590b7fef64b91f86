"""What of a stored fact is published: patient identity stays in the event store.

The store keeps every fact whole (encrypted at rest with EDFLOW_CIPHER_KEY).
Published envelopes — on the Kafka topics, and every envelope read back from
the store (`base.store_log.to_envelope`), so a board replayed from either
source is the same — carry what the board and the work queue need and no
identity:

- a patient's MRN, family and given names and birth date are withheld; the
  initials (`given_initial`, `family_initial`) and the age in years at the
  time of the event (`age_years`, from the birth date when no age was given)
  are published instead, with the sex;
- appointment and waitlist contact details (phone, e-mail) are withheld;
- an insurance member id is published empty;
- a contact's free-text note is published empty;
- the patient index's facts publish their MRNs empty (records are told apart
  by aggregate id, derived from facility and MRN and not reversible).

Facts that carry these fields are published at schema version 2 (identity
withheld); version 1 envelopes, published before, carried them in full, and
consumers still read both (`initials_of`).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec.structs import replace

from events.catalogue import (
    AppointmentBooked,
    Fact,
    InsuranceVerificationRequested,
    PatientArrived,
    PatientContacted,
    PatientDetailsUpdated,
    PatientRecordsMerged,
    PatientRecordUpdated,
    Person,
    WaitlistJoined,
)

# The published schema version from which a fact type's identity is withheld.
IDENTITY_WITHHELD_SINCE: dict[type[Fact], int] = {
    PatientArrived: 2,
    PatientDetailsUpdated: 2,
    AppointmentBooked: 2,
    WaitlistJoined: 2,
    InsuranceVerificationRequested: 2,
    # the patient index's facts withhold identity from their first version
    PatientRecordUpdated: 1,
    PatientRecordsMerged: 1,
}
# Top-level MRN fields of those facts: always published empty.
WITHHELD_MRN_FIELDS = ("mrn", "surviving_mrn", "merged_mrn")
# Person fields that are never published (always null in a published envelope).
WITHHELD_PERSON_FIELDS = ("mrn", "family_name", "given_name", "birth_date")
WITHHELD = "withheld from published events: kept only in the event store"


def published_version(fact_type: type[Fact]) -> int:
    """The schema version a published envelope of this fact type carries."""
    return max(fact_type.SCHEMA_VERSION, IDENTITY_WITHHELD_SINCE.get(fact_type, 0))


def initial(name: str | None) -> str:
    """The board's initial of a name: its first letter, upper case ('' for none)."""
    return name.strip()[:1].upper() if name and name.strip() else ""


def initials_of(person: Person) -> tuple[str | None, str | None]:
    """The (given, family) initials an event states: from the names where it
    carries them (stored facts, version 1 envelopes), else from the published
    initials; None where it states no name (a correction that keeps it)."""
    return (
        _stated(person.given_name, person.given_initial),
        _stated(person.family_name, person.family_initial),
    )


def _stated(name: str | None, published: str | msgspec.UnsetType) -> str | None:
    if name is not None:
        return initial(name)
    return None if isinstance(published, msgspec.UnsetType) else published


def age_at(person: Person, at: datetime) -> int | None:
    """Age in whole years on the day of `at`: the stated age, else from the birth date."""
    if person.age_years is not None:
        return person.age_years
    if person.birth_date is None:
        return None
    today, born = at.date(), person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def published_person(person: Person, at: datetime) -> Person:
    """The person without identity: initials, age at `at`, sex."""
    given, family = initials_of(person)
    return Person(
        age_years=age_at(person, at),
        sex=person.sex,
        given_initial=msgspec.UNSET if given is None else given,
        family_initial=msgspec.UNSET if family is None else family,
    )


def published_fact(fact: Fact, occurred_at: datetime) -> Fact:
    """The fact as published: identity withheld (see the module's description)."""
    match fact:
        case PatientArrived():
            return replace(fact, patient=published_person(fact.patient, occurred_at))
        case PatientDetailsUpdated() if fact.patient is not None:
            return replace(fact, patient=published_person(fact.patient, occurred_at))
        case AppointmentBooked() | WaitlistJoined():
            return replace(fact, patient=published_person(fact.patient, occurred_at), contact=None)
        case InsuranceVerificationRequested():
            return replace(fact, coverage=replace(fact.coverage, member_id=""))
        case PatientContacted():
            return replace(fact, patient=published_person(fact.patient, occurred_at), note="")
        case PatientRecordUpdated():
            patient = published_person(fact.patient, occurred_at) if fact.patient is not None else None
            coverage = replace(fact.coverage, member_id="") if fact.coverage is not None else None
            return replace(fact, mrn="", patient=patient, contact=None, coverage=coverage)
        case PatientRecordsMerged():
            return replace(fact, surviving_mrn="", merged_mrn="")
    return fact
