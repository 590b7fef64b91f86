"""One MRN's record as the log states it, and the small pieces the patient
index (services/patients/index.py) builds it with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events.catalogue import Contact, Coverage, Person

DETAILS = ("family_name", "given_name", "birth_date", "age_years", "sex")


@dataclass
class CoverageCheck:
    appointment: UUID
    payer: str
    plan: str
    requested_at: datetime
    requested_by: str
    status: str = "requested"  # requested, verified, failed
    note: str = ""
    answered_at: datetime | None = None
    answered_by: str | None = None


@dataclass
class Entry:
    """One MRN's record as the log states it."""

    mrn: str
    since: int  # the log position that first named the MRN
    details: dict[str, Any] = field(default_factory=dict)
    contact: Contact | None = None
    coverage: Coverage | None = None
    visits: dict[UUID, str] = field(default_factory=dict)  # encounter id -> visit number
    appointments: dict[UUID, str] = field(default_factory=dict)  # aggregate id -> appointment id
    merged_into: str | None = None
    merged_from: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # the record's own facts

    def state(self, fact_details: Person | None) -> None:
        if fact_details is None:
            return
        for name in DETAILS:
            value = getattr(fact_details, name)
            if value is not None and not (name == "sex" and value == "U"):
                self.details[name] = value

    def matches(self, mrn: str | None, name: list[str], born: date | None) -> bool:
        if mrn is not None and self.mrn.casefold() != mrn.casefold():
            return False
        if born is not None and self.details.get("birth_date") != born:
            return False
        names = [str(self.details.get(n) or "").casefold() for n in ("family_name", "given_name")]
        return all(any(n.startswith(token) for n in names) for token in name)


def search_keys(entry: Entry) -> tuple[set[str], date | None]:
    """The record's names (case-folded) and birth date, as searches look them up."""
    names = (str(entry.details.get(n) or "").casefold() for n in ("family_name", "given_name"))
    return {n for n in names if n}, entry.details.get("birth_date")


def stated_mrn(person: Person | None) -> str | None:
    return person.mrn.strip() or None if person is not None and person.mrn is not None else None


def merged_contact(old: Contact | None, new: Contact | None) -> Contact | None:
    if new is None:
        return old
    if old is None:
        return new
    return Contact(email=new.email or old.email, phone=new.phone or old.phone)


def history_item(position: int, event: Any, reason: str) -> dict[str, Any]:
    meta = event.meta
    return {"position": position, "type": type(event.fact).__name__, "occurred_at": meta.occurred_at,
            "recorded_at": event.timestamp, "actor": meta.actor.id, "role": meta.actor.role, "reason": reason,
            "fact": event.fact}  # fmt: skip
