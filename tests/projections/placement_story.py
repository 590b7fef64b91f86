"""Bed requests and inpatient beds in a story (tests/projections/stories.py),
recorded the way the write model records them (services/ed/placement.py):
the visit's fact first, then the inpatient bed records it settles."""

from __future__ import annotations

import uuid
from typing import Any

from events.catalogue import (
    AdmissionCancelled,
    BedNeeds,
    BedRequestCancelled,
    BedRequested,
    DischargeCancelled,
    Fact,
    InpatientBedAssigned,
    InpatientBedOccupied,
    InpatientBedPrepared,
    InpatientBedReady,
    InpatientBedReleased,
    InpatientBedReserved,
    PatientDischarged,
)

MOVES = ("assign_inpatient", "ready_inpatient", "cancel_request", "cancel_admission", "release_inpatient")
BEDS = ("4W-1", "4W-2", "ICU-1")
OPEN = ("requested", "assigned", "ready")


def _unit(bed_id: str) -> str:
    return bed_id.split("-")[0]


def _bed(story: Any, bed_id: str) -> dict:
    if bed_id not in story.inpatient:
        bed = uuid.uuid5(uuid.NAMESPACE_URL, f"ipbed:{story.facility_id}:{bed_id}")
        story.inpatient[bed_id] = {"id": bed, "status": "free", "encounter": None}
    return story.inpatient[bed_id]


def request(story: Any, visit: uuid.UUID) -> None:
    story.visits[visit]["request"] = {"state": "requested", "bed": None, "ready": False}
    story.record(visit, BedRequested(level_of_care="ward", needs=BedNeeds(telemetry=True)), "Encounter")


def _hold(story: Any, visit: uuid.UUID, bed_id: str, ready: bool) -> None:
    bed = _bed(story, bed_id)
    fact = InpatientBedReserved(unit=_unit(bed_id), bed_id=bed_id, encounter_id=str(visit), ready=ready)
    story.record(bed["id"], fact, "InpatientBed")
    bed.update(status="ready" if ready else "reserved", encounter=visit)


def _free(story: Any, bed_id: str, reason: str) -> None:
    bed = story.inpatient[bed_id]
    story.record(bed["id"], InpatientBedReleased(reason=reason), "InpatientBed")
    bed.update(status="free", encounter=None)


def settle(story: Any, visit: uuid.UUID, fact: Fact) -> None:
    """What a departure or a cancelled discharge does to the visit's request and bed."""
    req = story.visits[visit].get("request")
    if req is None:
        return
    bed_id = req["bed"]
    if isinstance(fact, DischargeCancelled):
        if req["state"] == "left":
            if bed_id is None:
                req["state"] = "requested"
                return
            req["state"] = "ready" if req["ready"] else "assigned"
            bed = story.inpatient[bed_id]
            if bed["status"] == "free" or bed["encounter"] == visit:
                _hold(story, visit, bed_id, req["ready"])
            else:  # the write model refuses this correction; the story only models what it records
                req["state"] = "cancelled"
        return
    if req["state"] not in OPEN:
        return
    admitted = isinstance(fact, PatientDischarged) and fact.disposition == "admitted"
    req["state"] = "left" if admitted else "cancelled"
    if bed_id is not None and req["state"] == "left":
        story.record(story.inpatient[bed_id]["id"], InpatientBedOccupied(encounter_id=str(visit)), "InpatientBed")
        story.inpatient[bed_id].update(status="occupied")
    elif bed_id is not None:
        _free(story, bed_id, "bed request closed")


def play(story: Any, move: str, admitted: list[uuid.UUID], pick: int) -> None:
    """One placement move on an admitted open visit, if the rules allow it."""
    with_request = [v for v in admitted if (story.visits[v].get("request") or {}).get("state") in OPEN]
    if move == "release_inpatient":
        occupied = [b for b in sorted(story.inpatient) if story.inpatient[b]["status"] == "occupied"]
        if occupied:
            _free(story, occupied[pick % len(occupied)], "discharged home")
        return
    if move == "cancel_admission" and admitted:
        visit = admitted[pick % len(admitted)]
        story.record(visit, AdmissionCancelled(reason="improved"), "Encounter")
        story.visits[visit]["admitted"] = False
        _close(story, visit)
        return
    if not with_request:
        return
    visit = with_request[pick % len(with_request)]
    req = story.visits[visit]["request"]
    if move == "cancel_request":
        story.record(visit, BedRequestCancelled(reason="family declined"), "Encounter")
        _close(story, visit)
    elif move == "ready_inpatient" and req["state"] == "assigned":
        story.record(visit, InpatientBedReady(unit=_unit(req["bed"]), bed_id=req["bed"]), "Encounter")
        story.record(story.inpatient[req["bed"]]["id"], InpatientBedPrepared(), "InpatientBed")
        req.update(state="ready", ready=True)
        story.inpatient[req["bed"]]["status"] = "ready"
    elif move == "assign_inpatient":
        free = [b for b in BEDS if _bed(story, b)["status"] == "free"]
        if not free:
            return
        bed_id = free[pick % len(free)]
        story.record(visit, InpatientBedAssigned(unit=_unit(bed_id), bed_id=bed_id), "Encounter")
        if req["bed"] is not None and req["state"] in ("assigned", "ready"):
            _free(story, req["bed"], "another bed was assigned to the request")
        _hold(story, visit, bed_id, False)
        req.update(state="assigned", bed=bed_id, ready=False)


def _close(story: Any, visit: uuid.UUID) -> None:
    req = story.visits[visit].get("request")
    if req is None or req["state"] not in OPEN:
        return
    if req["bed"] is not None and req["state"] in ("assigned", "ready"):
        _free(story, req["bed"], "bed request closed")
    req["state"] = "cancelled"
