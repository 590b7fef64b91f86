"""What one fold step reads and produces: typed reads of the entries it was
given, the entries it changed, and the board entities it publishes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from events.board import BoardValue, EntityChange
from projections.entries import Entry

E = TypeVar("E", bound=Entry)
V = TypeVar("V", bound=BoardValue)


class Builder:
    """Collects one step's changed entries and board entities."""

    def __init__(self, entries: Mapping[str, Entry | None], publishing: bool = True):
        self.entries = entries
        # False: nobody will see this step's board, so its values are not built.
        self.publishing = publishing
        self.changes: dict[str, Entry | None] = {}
        self.board: list[EntityChange] = []
        # Earliest time of a metric sample added or retracted in this step.
        self.earliest_sample: datetime | None = None
        # Whether a day bucket was replaced in this step.
        self.resampled = False

    def get(self, key: str, kind: type[E]) -> E | None:
        """The entry at `key` if it is a `kind` (keys name their kind, so it always is or is absent)."""
        entry = self.entries.get(key)
        return entry if isinstance(entry, kind) else None

    def sampled(self, moments: list[datetime]) -> None:
        if self.earliest_sample is not None:
            moments = [*moments, self.earliest_sample]
        self.earliest_sample = min(moments, default=None)

    def write(self, key: str, old: Entry | None, new: Entry | None) -> None:
        if old != new:
            self.changes[key] = new

    def publish(self, change: Callable[..., EntityChange], entity_id: str, old: V | None, new: V | None) -> None:
        """Publish `new` as entity `entity_id` if it differs from `old` (None: it left the board)."""
        if old != new:
            self.board.append(change(id=entity_id, value=new))
