"""Valid ED stories as published envelopes, without a store: a tiny model of
the floor's rules decides which moves are possible, the way the write model
would, so the fold is fed only what edflow could actually record."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from msgspec import to_builtins

from events.catalogue import (
    AdmitDecided,
    ArrivalCancelled,
    BedAssigned,
    BedBlocked,
    BedCleaned,
    BedCleaningStarted,
    BedOccupied,
    BedRegistered,
    BedReleased,
    BedUnblocked,
    BedVacated,
    DischargeCancelled,
    Fact,
    NurseAssigned,
    PatientArrived,
    PatientDetailsUpdated,
    PatientDischarged,
    PatientLeftWithoutBeingSeen,
    PatientTransferred,
    PatientTriaged,
    Person,
    ProviderAssigned,
    VentilationStarted,
    VentilationStopped,
)
from events.envelope import Actor, Envelope, event_id_for
from projections.entries import Entry
from projections.profile import DEFAULT_PROFILE, FacilityProfile
from projections.snapshot import board_snapshot
from tests.projections import placement_story

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
# An impossible move falls through to the next possible one in this order.
MOVES = (
    "arrive",
    "triage",
    "assign_bed",
    "provider",
    "discharge",
    "finish_cleaning",
    "admit",
    "release",
    "clean",
    "lwbs",
    "cancel_arrival",
    "cancel_discharge",
    "update",
    "block",
    "unblock",
    "register_bed",
    "ventilate",
    "nurse",
    *placement_story.MOVES,
)
# How often each move is drawn: a busy floor, with corrections now and then.
WEIGHTED_MOVES = (
    ("arrive",) * 4
    + ("triage",) * 3
    + ("assign_bed",) * 4
    + ("provider",) * 3
    + ("discharge",) * 3
    + ("finish_cleaning",) * 2
    + ("admit",) * 2
    + MOVES[7:]
)

T = TypeVar("T")


@dataclass
class Story:
    facility_id: str = "demo"
    now: datetime = START
    position: int = 0
    envelopes: list[Envelope] = field(default_factory=list)
    versions: dict[uuid.UUID, int] = field(default_factory=dict)
    beds: dict[str, dict] = field(default_factory=dict)  # bed_id -> {id, status, encounter, before}
    visits: dict[uuid.UUID, dict] = field(default_factory=dict)  # id -> {status, bed, provider, admitted, discharged}
    # Inpatient beds with a record: bed_id -> {id, status, encounter} (tests/projections/placement_story.py)
    inpatient: dict[str, dict] = field(default_factory=dict)

    # --- recording ----------------------------------------------------------

    def record(self, aggregate_id: uuid.UUID, fact: Fact, aggregate_type: str) -> Envelope:
        self.position += 1
        version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = version
        envelope = Envelope(
            event_id=event_id_for(aggregate_id, version),
            type=type(fact).__name__,
            schema_version=1,
            facility_id=self.facility_id,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            position=self.position,
            occurred_at=self.now,
            recorded_at=self.now + timedelta(seconds=2),
            actor=Actor(id="nurse-1", role="charge-nurse"),
            correlation_id=None,
            data=fact,
        )
        self.envelopes.append(envelope)
        return envelope

    def wait(self, minutes: float) -> Story:
        self.now += timedelta(minutes=minutes)
        return self

    # --- the floor's moves --------------------------------------------------

    def register_bed(self, bed_id: str, unit: str = "acute-a") -> uuid.UUID:
        bed_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"bed:{self.facility_id}:{bed_id}")
        self.beds[bed_id] = {"id": bed_uuid, "status": "available", "encounter": None}
        self.record(bed_uuid, BedRegistered(bed_id=bed_id, unit=unit), "Bed")
        return bed_uuid

    def visit_id(self, visit_number: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"visit:{self.facility_id}:{visit_number}")

    def at(self, minute: float) -> Story:
        """Set event time to `minute` minutes after the story's start."""
        self.now = START + timedelta(minutes=minute)
        return self

    def arrive(self, visit_number: str, age: int = 40, given: str = "Ana", family: str = "Diaz") -> uuid.UUID:
        visit = self.visit_id(visit_number)
        self.visits[visit] = {
            "status": "waiting",
            "bed": None,
            "provider": None,
            "admitted": False,
            "discharged": False,
        }
        person = Person(given_name=given, family_name=family, age_years=age, sex="F", mrn="MRN" + visit_number)
        self.record(
            visit, PatientArrived(visit_number=visit_number, patient=person, chief_complaint="chest pain"), "Encounter"
        )
        return visit

    def triage(self, visit: uuid.UUID, esi: int) -> None:
        self.record(visit, PatientTriaged(esi=esi), "Encounter")

    def provider(self, visit: uuid.UUID, provider_id: str = "ed-okafor") -> None:
        self.visits[visit]["provider"] = provider_id
        self.record(visit, ProviderAssigned(provider_id=provider_id), "Encounter")

    def assign_bed(self, visit: uuid.UUID, bed_id: str) -> None:
        state, bed = self.visits[visit], self.beds[bed_id]
        previous = state["bed"]
        if previous is None:
            self.record(visit, BedAssigned(bed_id=bed_id, unit="acute-a"), "Encounter")
        else:
            self.record(
                visit, PatientTransferred(from_bed_id=previous, to_bed_id=bed_id, to_unit="acute-a"), "Encounter"
            )
        self.record(bed["id"], BedOccupied(encounter_id=str(visit)), "Bed")
        state.update(bed=bed_id, status="roomed")
        bed.update(status="occupied", encounter=visit)
        if previous is not None:
            self._release_bed(previous, visit)

    def _release_bed(self, bed_id: str, visit: uuid.UUID) -> None:
        bed = self.beds[bed_id]
        self.record(bed["id"], BedReleased(encounter_id=str(visit)), "Bed")
        bed.update(status="dirty", encounter=None)

    def release(self, visit: uuid.UUID) -> None:
        bed_id = self.visits[visit]["bed"]
        self.record(visit, BedVacated(bed_id=bed_id), "Encounter")
        self.visits[visit].update(bed=None, status="waiting")
        self._release_bed(bed_id, visit)

    def bed_fact(self, bed_id: str, fact: Fact, status: str) -> None:
        bed = self.beds[bed_id]
        if isinstance(fact, BedBlocked):
            bed["before"] = bed["status"]
        self.record(bed["id"], fact, "Bed")
        bed["status"] = bed.get("before", "available") if isinstance(fact, BedUnblocked) else status

    def admit(self, visit: uuid.UUID) -> None:
        self.visits[visit]["admitted"] = True
        self.record(visit, AdmitDecided(), "Encounter")
        placement_story.request(self, visit)

    def leave(self, visit: uuid.UUID, fact: Fact, status: str = "finished") -> None:
        """Discharge, LWBS or cancelled arrival: the bed, if any, is released in the same save."""
        state = self.visits[visit]
        self.record(visit, fact, "Encounter")
        placement_story.settle(self, visit, fact)
        if state["bed"] is not None:
            self._release_bed(state["bed"], visit)
        state.update(bed=None, status=status, discharged=isinstance(fact, PatientDischarged))

    def cancel_discharge(self, visit: uuid.UUID) -> None:
        self.record(visit, DischargeCancelled(reason="recorded in error"), "Encounter")
        placement_story.settle(self, visit, DischargeCancelled(reason="recorded in error"))
        self.visits[visit].update(status="waiting", discharged=False)

    def update(self, visit: uuid.UUID) -> None:
        self.record(
            visit,
            PatientDetailsUpdated(patient=Person(given_name="Zoe"), chief_complaint="abdominal pain"),
            "Encounter",
        )

    def nurse(self, visit: uuid.UUID, nurse_id: str) -> None:
        self.record(visit, NurseAssigned(nurse_id=nurse_id), "Encounter")

    def ventilate(self, visit: uuid.UUID) -> None:
        """Start ventilation, or stop it if the patient is on a ventilator."""
        state = self.visits[visit]
        state["ventilated"] = not state.get("ventilated", False)
        self.record(visit, VentilationStarted() if state["ventilated"] else VentilationStopped(), "Encounter")

    # --- random play (hypothesis draws the choices) ---------------------------

    def play(self, move: str, pick: int, esi: int, minutes: int) -> None:
        """Make `move` if the floor allows it, else the next move in MOVES that
        it allows (an arrival always is), so every draw records something."""
        self.wait(minutes)
        start = MOVES.index(move)
        for offset in range(len(MOVES)):
            if self._try(MOVES[(start + offset) % len(MOVES)], pick, esi):
                return

    def _try(self, move: str, pick: int, esi: int) -> bool:
        before = len(self.envelopes)
        open_visits = [v for v, s in self.visits.items() if s["status"] in ("waiting", "roomed")]
        beds = sorted(self.beds)

        def choose(items: list[T]) -> T:
            return items[pick % len(items)]

        visit = choose(open_visits) if open_visits else None
        if move == "register_bed" and len(self.beds) < 6:
            self.register_bed(f"B{len(self.beds) + 1}")
        elif move == "arrive":
            self.arrive(f"V{len(self.visits) + 1}", age=pick % 90)
        elif move == "triage" and visit:
            self.triage(visit, esi)
        elif move == "provider" and visit:
            self.provider(visit)
        elif move == "assign_bed" and visit:
            free = [b for b in beds if self.beds[b]["status"] == "available"]
            if free:
                self.assign_bed(visit, choose(free))
        elif move == "release" and (roomed := [v for v in open_visits if self.visits[v]["bed"]]):
            self.release(choose(roomed))
        elif move == "clean" and (dirty := [b for b in beds if self.beds[b]["status"] == "dirty"]):
            self.bed_fact(choose(dirty), BedCleaningStarted(), "cleaning")
        elif move == "finish_cleaning" and (
            dirty := [b for b in beds if self.beds[b]["status"] in ("dirty", "cleaning")]
        ):
            self.bed_fact(choose(dirty), BedCleaned(), "available")
        elif move == "block" and (free := [b for b in beds if self.beds[b]["status"] not in ("occupied", "blocked")]):
            self.bed_fact(choose(free), BedBlocked(reason="broken monitor"), "blocked")
        elif move == "unblock" and (blocked := [b for b in beds if self.beds[b]["status"] == "blocked"]):
            self.bed_fact(choose(blocked), BedUnblocked(), "")
        elif move == "admit" and (candidates := [v for v in open_visits if not self.visits[v]["admitted"]]):
            self.admit(choose(candidates))
        elif move == "discharge" and visit:
            self.leave(visit, PatientDischarged(disposition="admitted" if self.visits[visit]["admitted"] else "home"))
        elif move == "lwbs" and (unseen := [v for v in open_visits if self.visits[v]["provider"] is None]):
            self.leave(choose(unseen), PatientLeftWithoutBeingSeen())
        elif move == "cancel_arrival" and (live := [v for v, s in self.visits.items() if s["status"] != "cancelled"]):
            self.leave(choose(live), ArrivalCancelled(reason="registered twice"), status="cancelled")
        elif move == "cancel_discharge" and (gone := [v for v, s in self.visits.items() if s["discharged"]]):
            self.cancel_discharge(choose(gone))
        elif move == "ventilate" and visit:
            self.ventilate(visit)
        elif move == "nurse" and visit:
            self.nurse(visit, f"rn-{pick % 3}")
        elif move in placement_story.MOVES:
            placement_story.play(self, move, [v for v in open_visits if self.visits[v]["admitted"]], pick)
        elif move == "update" and (live := [v for v, s in self.visits.items() if s["status"] != "cancelled"]):
            self.update(choose(live))
        return len(self.envelopes) > before


def board_of(table: Mapping[str, Entry], profile: FacilityProfile = DEFAULT_PROFILE) -> dict[tuple[str, str], Any]:
    """The board a snapshot of `table` publishes, as the JSON a consumer reads."""
    return {(c.kind, c.id): to_builtins(c.value) for c in board_snapshot(table.items(), profile)}
