"""Which rows of a facility's table a search matches, from its sorted
indexes (services/fhir/table.py), in the order they were created.

The answer is the same as judging every row with `keep` (the whole search
as one predicate over a row), which is what this replaces: a status is a
list already in order, a `date` test a slice or two of the start and end
timelines (the FHIR range rules of `services.fhir.search.period_filter`,
read as ranges), several are intersected, and only a date search sorts the
positions it found. Rows asked for by identifier, and the odd rows whose
period cannot be ordered, are few: those are judged by `keep`, one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from services.fhir.bundle import matching
from services.fhir.search import DateTest
from services.fhir.table import Table


def dated(table: Table[Any], test: DateTest) -> set[int]:
    """The orderable rows whose period passes one `date` test."""
    prefix, low, high = test
    starts, ends = table.starts, table.ends
    if prefix in ("eq", "ne"):  # the period lies within [low, high]
        within = set(starts.after(low)).intersection(ends.before(high, inclusive=True))
        return within if prefix == "eq" else set(starts.positions) - within
    if prefix in ("ge", "gt"):  # still going on, or ended at/after low (after high for gt)
        ended = ends.after(low) if prefix == "ge" else ends.after(high, inclusive=False)
        return set(table.open).union(ended)
    return set(starts.before(high if prefix == "le" else low))  # started before high (before low for lt)


def select(
    kind: str,
    table: Table[Any],
    keep: Callable[[Any], object],
    tokens: Iterable[tuple[str, set[str] | None]] = (),
    tests: Sequence[DateTest] = (),
    only: Iterable[int] | None = None,
) -> list[int]:
    """Sorted positions of the rows `keep` accepts, where `tokens` (a field and
    the values it may have; None = any) and `tests` are what `keep` checks,
    and `only` (if given) the positions of every row it might accept."""
    if only is not None:
        candidates = sorted({p for p in only if p in table.at})
        return [row.position for row in matching(kind, (table.at[p] for p in candidates), keep)]
    chosen = sorted((table.having(field, values) for field, values in tokens if values is not None), key=len)
    if not tests:
        if not chosen:
            return list(table.order)
        first, rest = chosen[0], [set(c) for c in chosen[1:]]
        return [p for p in first if all(p in r for r in rest)] if rest else first
    found = set.intersection(*(dated(table, test) for test in tests))
    for positions in chosen:
        found.intersection_update(positions)
    found.update(row.position for row in matching(kind, list(table.odd.values()), keep))
    return sorted(found)
