"""Placement: from an admit decision to an inpatient bed.

An admit decision opens a bed request for the receiving service (facts on
the visit's own record, so a request is always read with its visit): it is
requested, assigned an inpatient bed, the bed is made ready, and the
patient leaves the ED for it (the visit's discharge as admitted closes the
request). It can be changed or cancelled with a reason; withdrawing the
admission closes it too. Each inpatient bed keeps its own record, so one bed
never holds two patients. The actor of each fact's envelope says who did
the step.

The class name is the event's published `type` and its stored tag: renaming a
class breaks every stored and published event of that type, so don't.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from events.common import Fact, Sex

RequestedLevel = Literal["ward", "step-down", "icu", "observation"]
Isolation = Literal["none", "contact", "droplet", "airborne", "protective"]
RequestState = Literal["requested", "assigned", "ready", "left", "cancelled"]


class BedNeeds(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What the inpatient bed must offer."""

    telemetry: bool = False
    isolation: Isolation = "none"
    bariatric: bool = False
    # Where rooms are shared: the sex a room-mate must be (None: no constraint).
    roommate_sex: Sex | None = None


NO_NEEDS = BedNeeds()


# --- the request, on the visit ------------------------------------------------


class BedRequested(Fact, frozen=True, kw_only=True):
    """A bed request opened for the receiving service."""

    level_of_care: RequestedLevel = "ward"
    inpatient_unit: str | None = None
    needs: BedNeeds = NO_NEEDS


class BedRequestChanged(Fact, frozen=True, kw_only=True):
    """The request now asks for this (all of it, not a difference)."""

    level_of_care: RequestedLevel
    inpatient_unit: str | None = None
    needs: BedNeeds = NO_NEEDS
    reason: str


class InpatientBedAssigned(Fact, frozen=True, kw_only=True):
    """The request was given this inpatient bed (replacing any bed it had)."""

    unit: str
    bed_id: str


class InpatientBedReady(Fact, frozen=True, kw_only=True):
    """The assigned bed is cleaned and ready for the patient."""

    unit: str
    bed_id: str


class BedRequestCancelled(Fact, frozen=True, kw_only=True):
    reason: str


class AdmissionCancelled(Fact, frozen=True, kw_only=True):
    """The admit decision is withdrawn; an open bed request closes with it."""

    reason: str


# --- the inpatient bed's own record -----------------------------------------


class InpatientBedReserved(Fact, frozen=True, kw_only=True):
    """Held for a boarder (`ready`: already cleaned, e.g. a discharge cancelled)."""

    unit: str
    bed_id: str
    encounter_id: str
    ready: bool = False


class InpatientBedPrepared(Fact, frozen=True, kw_only=True):
    """Cleaned and ready for the boarder it is held for."""


class InpatientBedOccupied(Fact, frozen=True, kw_only=True):
    """The boarder arrived in the bed."""

    encounter_id: str


class InpatientBedReleased(Fact, frozen=True, kw_only=True):
    """Free again: the hold was given up, or its patient left the bed."""

    reason: str


REQUEST_FACTS: tuple[type[Fact], ...] = (
    BedRequested,
    BedRequestChanged,
    InpatientBedAssigned,
    InpatientBedReady,
    BedRequestCancelled,
    AdmissionCancelled,
)
INPATIENT_BED_FACTS: tuple[type[Fact], ...] = (
    InpatientBedReserved,
    InpatientBedPrepared,
    InpatientBedOccupied,
    InpatientBedReleased,
)
