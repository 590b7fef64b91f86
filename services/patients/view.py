"""What a reader is shown of the patient index: search results and the
patient view (details, contact, coverage, visits, appointments, coverage
checks, contacts and the record's own history). Roles that do not see
identity get initials, age and sex in place of names, MRN and birth date,
and no contact details."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from events.catalogue import Person
from services.audit.summaries import summary
from services.errors import NotFound
from services.patients.entry import Entry
from services.patients.index import FacilityIndex
from services.patients.record import patient_record_id


def person_of(entry: Entry) -> Person:
    details = {k: v for k, v in entry.details.items() if k != "sex"}
    return Person(mrn=entry.mrn, sex=entry.details.get("sex", "U"), **details)


def identity(entry: Entry, full: bool) -> dict[str, Any]:
    """The record's who: everything for a role that sees identity, else the minimum."""
    person = person_of(entry)
    age = _age(person)
    if full:
        return {"mrn": entry.mrn, "family_name": person.family_name, "given_name": person.given_name,
                "birth_date": person.birth_date.isoformat() if person.birth_date else None,
                "age_years": age, "sex": person.sex}  # fmt: skip
    initials = "".join(f"{n[0].upper()}." for n in (person.given_name, person.family_name) if n)
    return {"mrn": None, "initials": initials, "age_years": age, "sex": person.sex}


def search_result(index: FacilityIndex, entry: Entry, full: bool) -> dict[str, Any]:
    return {
        "record_id": str(patient_record_id(index.facility_id, entry.mrn)),
        **identity(entry, full),
        "status": "merged" if entry.merged_into else "active",
        "merged_into": (entry.merged_into if full else None),
        "visits": len(entry.visits),
        "appointments": len(entry.appointments),
    }


def patient_view(hospital: Any, index: FacilityIndex, mrn: str, full: bool) -> tuple[dict[str, Any], list[str]]:
    """The record of `mrn` and the references it disclosed (for the access log)."""
    entry = index.entries.get(mrn)
    if entry is None:
        raise NotFound(f"patient {mrn} not found in facility {index.facility_id}", mrn=mrn)
    group = index.group(mrn) if entry.merged_into is None else [mrn]
    visits = [] if entry.merged_into else _visits(hospital, index, mrn)
    appointments = [] if entry.merged_into else _appointments(hospital, index, mrn)
    checks = [_check(c, a["appointment_id"]) for a in appointments for c in index.checks.get(a["_id"], [])]
    for a in appointments:
        a.pop("_id")
    contacts = [] if entry.merged_into else _contacts(hospital, index.facility_id, group)
    view = {
        "record_id": str(patient_record_id(index.facility_id, mrn)),
        **identity(entry, full),
        "status": "merged" if entry.merged_into else "active",
        "merged_into": entry.merged_into if full else None,
        "merged_from": [m for m in group if m != mrn] if full else [],
        "contact": msgspec.to_builtins(entry.contact) if full and entry.contact else None,
        "coverage": _coverage(entry, full),
        "visits": visits,
        "appointments": appointments,
        "coverage_checks": checks,
        "contacts": contacts if full else [{**c, "note": "", "mrn": None} for c in contacts],
        "history": _histories(index, group, full),
    }
    disclosed = [f"Patient/{m}" for m in group]
    disclosed += [f"Encounter/{v['encounter_id']}" for v in visits]
    disclosed += [f"Appointment/{a['appointment_id']}" for a in appointments]
    return view, disclosed


def _age(person: Person) -> int | None:
    if person.age_years is not None:
        return person.age_years
    if person.birth_date is None:
        return None
    today, born = date.today(), person.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _coverage(entry: Entry, full: bool) -> dict[str, Any] | None:
    if entry.coverage is None:
        return None
    coverage = msgspec.to_builtins(entry.coverage)
    if not full:
        coverage["member_id"] = ""
    return coverage


def _visits(hospital: Any, index: FacilityIndex, mrn: str) -> list[dict[str, Any]]:
    shown = []
    for encounter_id, number in index.visits_of(mrn).items():
        encounter = hospital.encounter(index.facility_id, encounter_id)
        shown.append({"encounter_id": str(encounter_id), "visit_number": number, "status": encounter.status,
                      "arrived_at": encounter.arrived_at.isoformat(),
                      "registered_as": index.visit_mrn.get(encounter_id)})  # fmt: skip
    return sorted(shown, key=lambda v: v["arrived_at"], reverse=True)


def _appointments(hospital: Any, index: FacilityIndex, mrn: str) -> list[dict[str, Any]]:
    shown = []
    for aggregate_id, appointment_id in index.appointments_of(mrn).items():
        appointment = hospital.appointment(index.facility_id, appointment_id)
        shown.append({"_id": aggregate_id, "appointment_id": appointment_id, "status": appointment.status,
                      "start": appointment.start.isoformat(), "end": appointment.end.isoformat(),
                      "provider_id": appointment.provider_id, "department": appointment.department,
                      "appointment_type": appointment.appointment_type, "insurance": appointment.insurance,
                      "booked_as": index.appointment_mrn.get(aggregate_id)})  # fmt: skip
    return sorted(shown, key=lambda a: a["start"], reverse=True)


def _check(check: Any, appointment_id: str) -> dict[str, Any]:
    return {
        "appointment_id": appointment_id,
        "payer": check.payer,
        "plan": check.plan,
        "requested_at": check.requested_at.isoformat(),
        "requested_by": check.requested_by,
        "status": check.status,
        "note": check.note,
        "answered_at": check.answered_at.isoformat() if check.answered_at else None,
        "answered_by": check.answered_by,
    }


def _contacts(hospital: Any, facility_id: str, group: list[str]) -> list[dict[str, Any]]:
    found = []
    for mrn in group:
        try:
            log = hospital.contact_log(facility_id, mrn)
        except NotFound:
            continue
        found += [{**c.as_dict(), "mrn": mrn} for c in log.contacts.values()]
    return sorted(found, key=lambda c: (c["at"], c["contact_id"]), reverse=True)


def _histories(index: FacilityIndex, group: list[str], full: bool) -> list[dict[str, Any]]:
    """The history of the record and of those merged into it, oldest first; a
    merge (recorded on both records) once."""
    seen, shown = set(), []
    for item in sorted((i for m in group for i in index.entries[m].history), key=lambda i: i["position"]):
        if (item["fact"], item["occurred_at"]) not in seen:
            seen.add((item["fact"], item["occurred_at"]))
            shown.append(_history(item, full))
    return shown


def _history(item: dict[str, Any], full: bool) -> dict[str, Any]:
    return {
        "position": item["position"],
        "type": item["type"],
        "occurred_at": item["occurred_at"].isoformat(),
        "recorded_at": item["recorded_at"].isoformat(),
        "by": {"id": item["actor"], "role": item["role"]},
        "reason": item["reason"],
        "summary": summary(item["fact"]) if full else item["type"],
    }
