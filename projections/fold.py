"""The projection fold: one pure reducer for the faust worker, replay and tests.

State is a key -> entry table (see `projections.entries`). For one event the
caller reads the keys `keys_for` names, passes their current values to `step`,
writes back `Step.changes` and publishes `Step.board` as a board delta. Writes
per event are O(1): one visit or bed or appointment, the facility summary and
at most one day bucket (the schedule counts for appointment events).

Idempotent: the facility summary holds the highest store position applied per
stream; an event at or below it changes nothing. Pass the same
`FacilityProfile` to `keys_for` and `step` (it sets the day boundaries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Literal, cast

from msgspec.structs import replace

from events.board import (
    BedChange,
    CapacityChange,
    EncounterChange,
    EntityChange,
)
from events.catalogue import (
    ENCOUNTER_FACTS,
    INPATIENT_BED_FACTS,
    ArrivalCancelled,
    BedRegistered,
    DischargeCancelled,
    PatientArrived,
)
from events.envelope import Envelope
from events.topics import ED_FACTS
from events.work_queue import QueueEntry
from projections import beds, capacity, encounters, metrics, placement, work_queue
from projections.entries import (
    BedEntry,
    DayBucket,
    EncounterEntry,
    Entry,
    FacilitySummary,
    decode_entry,
    encode_entry,
)
from projections.fold_access import CALENDAR_FACTS, appointment_step
from projections.fold_metrics import METRICS_REFRESH, refresh_metrics
from projections.profile import (
    CORRECTION_WINDOW_DAYS,
    DEFAULT_PROFILE,
    FacilityProfile,
    appointment_key,
    bed_key,
    day_key,
    day_keys,
    encounter_key,
    facility_key,
    inpatient_bed_key,
    schedule_key,
)
from projections.snapshot import board_snapshot
from projections.step_builder import Builder

__all__ = [
    "Step",
    "keys_for",
    "step",
    "board_snapshot",
    "fold_into",
    "encode_entry",
    "decode_entry",
    "Entry",
    "FacilityProfile",
    "DEFAULT_PROFILE",
    "METRICS_REFRESH",
]

_ENCOUNTER_FACTS = ENCOUNTER_FACTS
_CORRECTIONS = (ArrivalCancelled, DischargeCancelled)
_CALENDAR_FACTS = CALENDAR_FACTS


@dataclass(frozen=True)
class Step:
    changes: dict[str, Entry | None] = field(default_factory=dict)
    board: list[EntityChange] = field(default_factory=list)


def stream_of(envelope: Envelope) -> Literal["ed", "access"]:
    return "ed" if type(envelope.data) in ED_FACTS else "access"


def _days(envelope: Envelope, profile: FacilityProfile) -> tuple[tuple[str, str], ...]:
    """(day, table key) of the day buckets an ED event reads."""
    # A correction may retract samples from earlier days; anything else only
    # touches its own day. Metrics read the day before (rolling 24 h) and the
    # day after: an event documented late, just past midnight, still finds
    # the current day's bucket to republish.
    count = CORRECTION_WINDOW_DAYS if isinstance(envelope.data, _CORRECTIONS) else 2
    return day_keys(envelope.facility_id, profile.timezone, envelope.occurred_at, count)


def keys_for(envelope: Envelope, profile: FacilityProfile = DEFAULT_PROFILE) -> list[str]:
    """Table keys this event reads or writes; the facility summary first."""
    facility, fact, aggregate = envelope.facility_id, envelope.data, str(envelope.aggregate_id)
    keys = [facility_key(facility)]
    if type(fact) in ED_FACTS:
        owner = encounter_key if isinstance(fact, _ENCOUNTER_FACTS) else bed_key
        owner = inpatient_bed_key if isinstance(fact, INPATIENT_BED_FACTS) else owner
        keys.append(owner(facility, aggregate))
        # Day buckets: written by visits, read by every ED event because the
        # "today" and rolling metrics move on with event time.
        keys.extend(key for _, key in _days(envelope, profile))
        return keys
    if not isinstance(fact, _CALENDAR_FACTS):
        keys.extend((appointment_key(facility, aggregate), schedule_key(facility)))
    keys.extend(work_queue.keys_for(envelope))  # the scheduler's work queue (access events only)
    return keys


def step(
    entries: Mapping[str, Entry | None],
    envelope: Envelope,
    profile: FacilityProfile = DEFAULT_PROFILE,
    board: bool = True,
) -> Step:
    """Fold one event into the entries named by `keys_for(envelope)`.

    With `board=False` (replay, in-memory folds: nobody sees the deltas) the
    changes are the same but no board value is built and `Step.board` is
    empty; a board is then read off the entries with `board_snapshot`."""
    facility = envelope.facility_id
    out = Builder(entries, publishing=board)
    summary = out.get(facility_key(facility), FacilitySummary) or FacilitySummary(facility_id=facility)
    stream = stream_of(envelope)
    if envelope.position <= summary.positions.get(stream, 0):
        return Step()
    positions = {**summary.positions, stream: envelope.position}
    if stream == "ed":
        last = summary.last_event_at
        last = envelope.occurred_at if last is None else max(last, envelope.occurred_at)
        advanced = replace(summary, positions=positions, last_event_at=last)
    else:
        advanced = replace(summary, positions=positions)
    if stream == "access":
        new_summary = appointment_step(out, advanced, envelope, profile)
        # The work queue's keys (keys_for) hold only its own entries.
        out.changes.update(work_queue.step(cast(Mapping[str, QueueEntry | None], entries), envelope))
    else:
        get = entries.get  # keys name their kind: a bucket or absent (see Builder.get)
        buckets = {d: b if isinstance(b := get(key), DayBucket) else None for d, key in _days(envelope, profile)}
        if isinstance(envelope.data, _ENCOUNTER_FACTS):
            new_summary = _encounter_step(out, advanced, envelope, profile, buckets)
        elif isinstance(envelope.data, INPATIENT_BED_FACTS):
            new_summary = placement.inpatient_step(out, advanced, envelope, profile)
        else:
            new_summary = _bed_step(out, advanced, envelope)
        new_summary = refresh_metrics(out, new_summary, buckets, profile)
        if board:
            out.publish(
                CapacityChange,
                "ed",
                capacity.capacity_value(summary, profile),
                capacity.capacity_value(new_summary, profile),
            )
    out.write(facility_key(facility), summary, new_summary)
    return Step(out.changes, out.board)


def _encounter_step(
    out: Builder,
    summary: FacilitySummary,
    envelope: Envelope,
    profile: FacilityProfile,
    buckets: dict[str, DayBucket | None],
) -> FacilitySummary:
    """The visit's entry and its metric samples; `buckets` is updated in place."""
    facility, encounter_id, fact, at = (
        envelope.facility_id,
        str(envelope.aggregate_id),
        envelope.data,
        envelope.occurred_at,
    )
    key = encounter_key(facility, encounter_id)
    old = out.get(key, EncounterEntry)
    new: EncounterEntry | None
    if old is None:
        # A fact about a visit this table never saw arrive (a stream joined
        # mid-way) has nothing to amend.
        new = encounters.arrived(encounter_id, fact, at) if isinstance(fact, PatientArrived) else None
    else:
        new = old if isinstance(fact, PatientArrived) else encounters.apply_fact(old, fact, at)
    if new is not None and new.phase == "cancelled":
        # The stay never happened and nothing can be recorded on it any more:
        # once its samples are retracted below, the entry can go.
        new = None
    out.write(key, old, new)
    if out.publishing:
        targets = profile.wait_targets
        out.publish(
            EncounterChange,
            encounter_id,
            encounters.board_value(old, at, targets),
            encounters.board_value(new, at, targets),
        )

    if metrics.same_samples(old, new):
        return capacity.with_encounter(summary, old, new)
    old_samples, new_samples = metrics.visit_samples(old, profile), metrics.visit_samples(new, profile)
    for day in old_samples.keys() | new_samples.keys():
        if day not in buckets or old_samples.get(day) == new_samples.get(day):
            continue  # unchanged, or older than the correction window reaches
        before = buckets[day]
        out.sampled(metrics.changed_times(old_samples.get(day), new_samples.get(day)))
        buckets[day] = metrics.with_samples(before or DayBucket(day=day), old_samples.get(day), new_samples.get(day))
        out.resampled = out.resampled or buckets[day] is not before
        out.write(day_key(facility, day), before, buckets[day])
    return capacity.with_encounter(summary, old, new)


def _bed_step(out: Builder, summary: FacilitySummary, envelope: Envelope) -> FacilitySummary:
    key = bed_key(envelope.facility_id, str(envelope.aggregate_id))
    old = out.get(key, BedEntry)
    fact, at = envelope.data, envelope.occurred_at
    if old is None:
        new = beds.registered(str(envelope.aggregate_id), fact, at) if isinstance(fact, BedRegistered) else None
    else:
        new = beds.apply_fact(old, fact, at)
    out.write(key, old, new)
    if new is not None and out.publishing:
        out.publish(BedChange, new.bed_id, beds.board_value(old), beds.board_value(new))
    return capacity.with_bed(summary, old, new)


def fold_into(
    table: MutableMapping[str, Entry], envelopes: Iterable[Envelope], profile: FacilityProfile = DEFAULT_PROFILE
) -> MutableMapping[str, Entry]:
    """Fold events into an in-memory table (replay and tests); returns it."""
    for envelope in envelopes:
        # step reads only the keys keys_for names: the table itself will do.
        result = step(table, envelope, profile, board=False)
        for key, entry in result.changes.items():
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
    return table
