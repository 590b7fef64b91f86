"""The worker's fold entries in its faust table, as the fold sees them.

Values are stored encoded (bytes). Decoding a day bucket costs more than
folding the event that reads it, and every ED event reads its day's buckets,
so the entries last decoded or written are kept decoded (`remember`): the
fold never changes an entry in place (a step returns new values), so a kept
value is exactly what decoding the stored bytes would give. Every write
through here keeps them in step; a table recovered from its changelog
(a rebalance) starts afresh (`forget`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Most decoded entries kept; past it the kept ones are dropped and read again.
KEEP = 20_000
_ABSENT = object()


class EntryTable:
    def __init__(self, entries: Any, fold: Any):
        self.entries, self.fold = entries, fold
        self._decoded: dict[str, Any] = {}

    def forget(self) -> None:
        self._decoded.clear()

    def remember(self, decoded: Mapping[str, Any]) -> None:
        """`decoded[key]` is what was just written at `key` (None: deleted)."""
        if len(self._decoded) + len(decoded) > KEEP:
            self._decoded.clear()
        self._decoded.update(decoded)

    def _entry(self, key: str) -> Any:
        entry = self._decoded.get(key, _ABSENT)
        if entry is _ABSENT:
            raw = self._get(key)
            entry = None if raw is None else self.fold.decode_entry(raw)
            self.remember({key: entry})
        return entry

    def _get(self, key: str) -> bytes | None:
        return self.entries.get(key.encode())

    def _put(self, key: str, raw: bytes) -> None:
        self._decoded.pop(key, None)
        self.entries[key.encode()] = raw

    def _write(self, changes: Mapping[str, bytes | None]) -> None:
        for key, raw in changes.items():
            if raw is None:
                self._decoded.pop(key, None)
                self.entries.pop(key.encode(), None)
            else:
                self._put(key, raw)
