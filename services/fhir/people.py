"""Who a resource is about, shown as much as the caller's role may see."""

from __future__ import annotations

from events.catalogue import Person

# HL7 v2 table 0203: MR is the medical record number.
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "MRN"}


def subject(patient: Person, sees_identity: bool) -> dict:
    """A Patient reference by MRN with the name, or only initials for roles
    that do not need identity (no Patient resource is served)."""
    if sees_identity:
        name = ", ".join(n for n in (patient.family_name, patient.given_name) if n)
        reference: dict = {"display": name or "unknown"}
        if patient.mrn:
            reference["identifier"] = {"type": MRN_TYPE, "value": patient.mrn}
        return reference
    initials = "".join(f"{n[0].upper()}." for n in (patient.given_name, patient.family_name) if n)
    return {"display": initials or "unknown"}
