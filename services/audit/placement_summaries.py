"""One line per placement event (bed requests, inpatient beds), as
`services.audit.summaries` gives for the rest."""

from __future__ import annotations

from typing import Any

from events.catalogue import (
    AdmissionCancelled,
    BedNeeds,
    BedRequestCancelled,
    BedRequestChanged,
    BedRequested,
    InpatientBedAssigned,
    InpatientBedOccupied,
    InpatientBedPrepared,
    InpatientBedReady,
    InpatientBedReleased,
    InpatientBedReserved,
)


def needs_text(needs: BedNeeds) -> str:
    parts = ["telemetry" if needs.telemetry else "", "bariatric" if needs.bariatric else ""]
    parts.append(f"{needs.isolation} isolation" if needs.isolation != "none" else "")
    parts.append(f"room-mate {needs.roommate_sex}" if needs.roommate_sex else "")
    return ", ".join(p for p in parts if p)


def placement_summary(fact: Any) -> str | None:
    match fact:
        case BedRequested() | BedRequestChanged():
            verb = "bed requested" if isinstance(fact, BedRequested) else "bed request changed"
            text = f"{verb}: {fact.level_of_care}" + (f", {fact.inpatient_unit}" if fact.inpatient_unit else "")
            needs = needs_text(fact.needs)
            text += f" ({needs})" if needs else ""
            return text + (f": '{fact.reason}'" if isinstance(fact, BedRequestChanged) else "")
        case InpatientBedAssigned():
            return f"inpatient bed {fact.bed_id} ({fact.unit}) assigned"
        case InpatientBedReady():
            return f"inpatient bed {fact.bed_id} ready"
        case BedRequestCancelled():
            return f"bed request cancelled: {fact.reason}"
        case AdmissionCancelled():
            return f"admission cancelled: {fact.reason}"
        case InpatientBedReserved():
            return f"inpatient bed {fact.bed_id} held for a boarder"
        case InpatientBedPrepared():
            return "inpatient bed cleaned and ready"
        case InpatientBedOccupied():
            return "inpatient bed occupied"
        case InpatientBedReleased():
            return f"inpatient bed free: {fact.reason}"
    return None
