"""The public hallway view: where each stay stands, with no PHI at all.

A stay is shown by a short per-stay code (an HMAC of the encounter id under a
site key), the stage it is at, and a coarse wait band — no initials, ages,
complaints, acuity or bed numbers. The patient learns their code at
registration (`base.stay_codes`); the code means nothing to anyone else.
"""

from __future__ import annotations

from datetime import datetime

from base.stay_codes import stay_code
from events.board import EncounterChange, EntityChange

__all__ = ["hallway_view", "stay_code", "wait_band"]

STAGES = {"waiting": "waiting", "roomed": "in treatment", "boarding": "waiting for an inpatient bed"}
BANDS = ((30, "under 30 min"), (60, "30-60 min"), (120, "1-2 h"), (240, "2-4 h"))


def wait_band(arrived_at: str | None, as_of: datetime | None) -> str:
    if not arrived_at or as_of is None:
        return "unknown"
    minutes = (as_of - datetime.fromisoformat(arrived_at)).total_seconds() / 60
    for limit, label in BANDS:
        if minutes < limit:
            return label
    return "over 4 h"


def hallway_view(key: bytes, entities: list[EntityChange], as_of: datetime | None) -> list[dict[str, str]]:
    stays = []
    for change in entities:
        if not isinstance(change, EncounterChange) or change.value is None:
            continue
        stage = STAGES.get(change.value.status, "in the department")
        stays.append(
            {
                "code": stay_code(key, change.id),
                "stage": stage,
                "waiting": wait_band(change.value.arrived_at, as_of),
            }
        )
    return sorted(stays, key=lambda stay: stay["code"])
