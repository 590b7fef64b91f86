"""Kafka topics: one per domain, keyed by facility id, plus the board stream."""

from __future__ import annotations

from dataclasses import dataclass

from events.catalogue import BED_FACTS, ENCOUNTER_FACTS, INPATIENT_BED_FACTS, PATIENT_FACTS, SCHEDULING_FACTS, Fact

# Encounters, beds and inpatient beds share one topic so that a facility's
# board events arrive in the order they were recorded.
ED_FACTS = ENCOUNTER_FACTS + BED_FACTS + INPATIENT_BED_FACTS


@dataclass(frozen=True)
class Topics:
    prefix: str = "edflow"

    @property
    def ed(self) -> str:
        return f"{self.prefix}.events.ed"

    @property
    def access(self) -> str:
        return f"{self.prefix}.events.access"

    @property
    def board(self) -> str:
        return f"{self.prefix}.board"

    @property
    def board_requests(self) -> str:
        """Snapshot requests: value empty = every facility of the record's
        partition (sent at worker start), else one facility id (a dashboard
        that saw a gap may send it, keyed by facility id)."""
        return f"{self.board}.requests"

    @property
    def deadletter(self) -> str:
        """Events the projection worker could not fold (`events.deadletter`),
        keyed by event id; no patient data."""
        return f"{self.prefix}.deadletter"

    @property
    def event_topics(self) -> tuple[str, ...]:
        return (self.ed, self.access)

    def for_fact(self, fact: type[Fact] | Fact) -> str:
        cls = fact if isinstance(fact, type) else type(fact)
        if cls in ED_FACTS:
            return self.ed
        if cls in SCHEDULING_FACTS or cls in PATIENT_FACTS:
            return self.access
        raise KeyError(f"no topic for event type {cls.__name__}")
