"""The waiting room: visits that arrived and are not yet in a bed.

Ordered as a board shows them: ESI first (untriaged patients after ESI 1,
since nobody knows yet how sick they are), then arrival. Whether a patient is
over the target wait for their level is computed against an `as_of` time the
caller passes in; the fold never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from projections.entries import EncounterEntry, Entry, initials
from projections.profile import DEFAULT_WAIT_TARGETS

# Untriaged patients sort between ESI 1 and ESI 2: they still need triage.
UNTRIAGED_RANK = 1.5


def is_over_target(esi: int | None, arrived_at: datetime, as_of: datetime, targets: dict[int, int]) -> bool:
    if esi is None or esi not in targets:
        return False
    return (as_of - arrived_at).total_seconds() > targets[esi] * 60


def is_waiting(entry: EncounterEntry) -> bool:
    return entry.phase == "open" and entry.bed_id is None and entry.admit_decided_at is None


def waiting_queue(
    entries: Iterable[Entry] | Iterable[tuple[str, Entry]],
    as_of: datetime,
    targets: dict[int, int] | None = None,
) -> list[dict[str, Any]]:
    """The waiting room in board order, each with its wait and flags."""
    targets = DEFAULT_WAIT_TARGETS if targets is None else targets
    waiting = [e for e in _values(entries) if isinstance(e, EncounterEntry) and is_waiting(e)]
    waiting.sort(key=lambda e: (UNTRIAGED_RANK if e.esi is None else e.esi, e.arrived_at, e.visit_number))
    return [
        {
            "id": e.id,
            "visit_number": e.visit_number,
            "initials": initials(e.given_initial, e.family_initial),
            "age_years": e.age_years,
            "esi": e.esi,
            "chief_complaint": e.chief_complaint,
            "arrived_at": e.arrived_at.isoformat(),
            "waited_minutes": round(max(0.0, (as_of - e.arrived_at).total_seconds() / 60), 1),
            "untriaged": e.esi is None,
            "over_target": is_over_target(e.esi, e.arrived_at, as_of, targets),
        }
        for e in waiting
    ]


def _values(entries: Iterable[Any]) -> Iterable[Any]:
    for item in entries:
        yield item[1] if isinstance(item, tuple) else item
