"""The pre-operative checklist a surgical case needs before it is confirmed."""

from __future__ import annotations

from typing import get_args

from events.catalogue import ChecklistItem

PRE_OP_ITEMS: tuple[str, ...] = get_args(ChecklistItem)
NEEDS_CHECKLIST = frozenset({"surgical-case"})


def missing_items(appointment_type: str, done: set[str]) -> list[str]:
    """Items still open, in checklist order; none for types without a checklist."""
    if appointment_type not in NEEDS_CHECKLIST:
        return []
    return [item for item in PRE_OP_ITEMS if item not in done]
