"""Total folds: an event a reducer cannot apply is set aside whole.

`fold.step` computes all of an event's changes before anything is written,
so an event whose step raises leaves no trace: the fold is atomic per event
(all of its changes or none), and a table that skipped a poison event equals
the fold of the same events without it. The live worker sends such an event
to the dead-letter topic; replay and tests skip it here.

Why an event failed is told without patient data: the exception's type and
the reducer that raised, never its message (which can quote the event).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Mapping, MutableMapping

from events.envelope import Envelope
from projections import fold
from projections.entries import Entry
from projections.profile import DEFAULT_PROFILE, FacilityProfile

log = logging.getLogger("edflow.projections")


def failure_reason(error: BaseException) -> str:
    """'TypeError in projections.fold.step': the exception type and the
    innermost edflow function it came from."""
    where = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in ("projections", "events", "services", "base"):
            where = f"{module}.{frame.f_code.co_name}"
    name = type(error).__name__
    return f"{name} in {where}" if where else name


def guarded_step(
    read: Callable[[str], Entry | None],
    envelope: Envelope,
    profile: FacilityProfile = DEFAULT_PROFILE,
    board: bool = True,
) -> fold.Step | str:
    """The event's step, or why a reducer could not apply it (nothing of it
    is applied); `board=False` builds no board deltas (see `fold.step`)."""
    try:
        return fold.step({k: read(k) for k in fold.keys_for(envelope, profile)}, envelope, profile, board)
    except Exception as error:
        return failure_reason(error)


def guarded_table_step(
    table: Mapping[str, Entry], envelope: Envelope, profile: FacilityProfile = DEFAULT_PROFILE
) -> fold.Step | str:
    """`guarded_step` for a fold that holds its whole table in memory and
    publishes nothing (replay, tests): `fold.step` reads only the keys
    `keys_for` names, so it is handed the table itself rather than a copy of
    those entries, and builds no board values."""
    try:
        return fold.step(table, envelope, profile, board=False)
    except Exception as error:
        return failure_reason(error)


def apply_changes(table: MutableMapping[str, Entry], changes: Mapping[str, Entry | None]) -> None:
    for key, entry in changes.items():
        if entry is None:
            table.pop(key, None)
        else:
            table[key] = entry


def fold_into(
    table: MutableMapping[str, Entry],
    envelopes: Iterable[Envelope],
    profile: FacilityProfile = DEFAULT_PROFILE,
    on_skip: Callable[[Envelope, str], None] | None = None,
) -> MutableMapping[str, Entry]:
    """`fold.fold_into` that skips (and reports to `on_skip`) events a reducer cannot apply."""
    for envelope in envelopes:
        result = guarded_table_step(table, envelope, profile)
        if isinstance(result, str):
            log.error(
                "skipped %s event %s at position %d: %s", envelope.type, envelope.event_id, envelope.position, result
            )
            if on_skip is not None:
                on_skip(envelope, result)
            continue
        apply_changes(table, result.changes)
    return table
