"""One facility's visits or appointments with the sorted indexes a search
answers from, kept up to date as rows change.

A row is a NamedTuple with `position` (where it was created in the store's
log: the order results are given in) and `id`. Each row is filed under its
tokens (e.g. ("status", "finished")), each a list of positions kept sorted,
and its period (start, end or None while still going on) on two timelines:
positions sorted by start and, for the ended ones, by end. A FHIR `date`
test is then a slice or two of a timeline found by bisect, and a status a
list already in result order. When a later event changes a row, `put`
takes the old entries out and files the new ones, so no search ever scans
every row.

A row whose period cannot be ordered (a time with no zone, or not a time at
all) is on no timeline: it is kept aside in `odd`, and a date search judges
those rows one by one (see `services/fhir/selecting.py`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

Row = TypeVar("Row", bound=Any)  # a NamedTuple with `position` and `id`
Period = tuple[datetime, datetime | None]


def _orderable(moment: object) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() is not None


def _orderable_period(period: Period) -> bool:
    start, end = period
    return _orderable(start) and (end is None or _orderable(end))


def _discard(positions: list[int], position: int) -> None:
    i = bisect_left(positions, position)
    if i < len(positions) and positions[i] == position:
        del positions[i]


class Timeline:
    """Positions sorted by a moment; the ones in a range of moments are one slice."""

    def __init__(self) -> None:
        self.moments: list[datetime] = []
        self.positions: list[int] = []  # in the order of `moments`

    def __len__(self) -> int:
        return len(self.positions)

    def add(self, moment: datetime, position: int) -> None:
        i = bisect_right(self.moments, moment)
        self.moments.insert(i, moment)
        self.positions.insert(i, position)

    def remove(self, moment: datetime, position: int) -> None:
        i = bisect_left(self.moments, moment)
        while self.positions[i] != position:  # rows at the same moment: find this one
            i += 1
        del self.moments[i]
        del self.positions[i]

    def before(self, moment: datetime, inclusive: bool = False) -> list[int]:
        """Positions whose moment is < `moment` (<= if inclusive)."""
        return self.positions[: (bisect_right if inclusive else bisect_left)(self.moments, moment)]

    def after(self, moment: datetime, inclusive: bool = True) -> list[int]:
        """Positions whose moment is >= `moment` (> unless inclusive)."""
        return self.positions[(bisect_left if inclusive else bisect_right)(self.moments, moment) :]


class Table(Generic[Row]):
    def __init__(self, tokens: Callable[[Row], Iterable[tuple[str, str]]], period: Callable[[Row], Period]):
        self._tokens_of, self._period_of = tokens, period
        self.rows: dict[UUID, Row] = {}
        self.at: dict[int, Row] = {}  # by position
        self.order: list[int] = []  # every position, sorted
        self.tokens: dict[tuple[str, str], list[int]] = {}
        self.open: list[int] = []  # sorted positions of orderable rows whose period has no end
        self.starts, self.ends = Timeline(), Timeline()  # orderable rows only; `ends` only those that ended
        self.odd: dict[int, Row] = {}  # rows whose period cannot be ordered

    def __len__(self) -> int:
        return len(self.order)

    def put(self, row: Row) -> None:
        """File a new row, or move a changed one to where its new values belong
        (only the entries that changed are moved)."""
        old = self.rows.get(row.id)
        if old == row:
            return
        position = row.position
        new_tokens, new_period = list(self._tokens_of(row)), self._period_of(row)
        if old is None:
            insort(self.order, position)
            old_tokens: list[tuple[str, str]] = []
        else:
            old_tokens = list(self._tokens_of(old))
        for token in old_tokens:
            if token not in new_tokens:
                _discard(self.tokens[token], position)
        for token in new_tokens:
            if token not in old_tokens:
                insort(self.tokens.setdefault(token, []), position)
        self.rows[row.id] = row
        self.at[position] = row
        if old is None:
            self._place(position, new_period, row)
        elif position in self.odd or not _orderable_period(new_period):
            self._unplace(position, self._period_of(old))
            self._place(position, new_period, row)
        else:
            self._move(position, self._period_of(old), new_period)

    def having(self, field: str, values: Iterable[str]) -> list[int]:
        """Sorted positions of the rows whose `field` is one of `values`."""
        found = [self.tokens.get((field, v), []) for v in values]
        found = [f for f in found if f]
        if len(found) == 1:
            return list(found[0])
        return sorted(p for f in found for p in f)

    def _place(self, position: int, period: Period, row: Row) -> None:
        if not _orderable_period(period):
            self.odd[position] = row
            return
        start, end = period
        self.starts.add(start, position)
        if end is None:
            insort(self.open, position)
        else:
            self.ends.add(end, position)

    def _unplace(self, position: int, period: Period) -> None:
        if self.odd.pop(position, None) is not None:
            return
        start, end = period
        self.starts.remove(start, position)
        if end is None:
            _discard(self.open, position)
        else:
            self.ends.remove(end, position)

    def _move(self, position: int, old: Period, new: Period) -> None:
        """Both periods orderable: move only the start or the end that changed."""
        if old[0] != new[0]:
            self.starts.remove(old[0], position)
            self.starts.add(new[0], position)
        if old[1] != new[1]:
            if old[1] is None:
                _discard(self.open, position)
            else:
                self.ends.remove(old[1], position)
            if new[1] is None:
                insort(self.open, position)
            else:
                self.ends.add(new[1], position)
