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
from datetime import timedelta
from typing import Any, Literal, cast

from msgspec.structs import replace

from events.board import (
    AppointmentChange,
    BedChange,
    CapacityChange,
    EncounterChange,
    EntityChange,
    MetricsChange,
    ScheduleChange,
)
from events.catalogue import (
    ENCOUNTER_FACTS,
    AppointmentBooked,
    ArrivalCancelled,
    BedRegistered,
    DischargeCancelled,
    PatientArrived,
    ProviderTimeReleased,
    ProviderTimeReserved,
)
from events.envelope import Envelope
from events.topics import ED_FACTS
from events.work_queue import QueueEntry
from projections import beds, capacity, encounters, metrics, schedule, work_queue
from projections.entries import (
    AppointmentEntry,
    BedEntry,
    DayBucket,
    EncounterEntry,
    Entry,
    FacilitySummary,
    ScheduleBook,
    decode_entry,
    encode_entry,
)
from projections.profile import (
    CORRECTION_WINDOW_DAYS,
    DEFAULT_PROFILE,
    FacilityProfile,
    appointment_key,
    bed_key,
    day_key,
    days_back,
    encounter_key,
    facility_key,
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
]

_ENCOUNTER_FACTS = ENCOUNTER_FACTS
_CORRECTIONS = (ArrivalCancelled, DischargeCancelled)
_CALENDAR_FACTS = (ProviderTimeReserved, ProviderTimeReleased)
# Flow metrics are republished at least this often in event time, so the
# rolling 24 h window moves on even while no sample changes.
METRICS_REFRESH = timedelta(minutes=5)


@dataclass(frozen=True)
class Step:
    changes: dict[str, Entry | None] = field(default_factory=dict)
    board: list[EntityChange] = field(default_factory=list)


def stream_of(envelope: Envelope) -> Literal["ed", "access"]:
    return "ed" if type(envelope.data) in ED_FACTS else "access"


def _days(envelope: Envelope, profile: FacilityProfile) -> list[str]:
    # A correction may retract samples from earlier days; anything else only
    # touches its own day. Metrics read the day before (rolling 24 h) and the
    # day after: an event documented late, just past midnight, still finds
    # the current day's bucket to republish.
    count = CORRECTION_WINDOW_DAYS if isinstance(envelope.data, _CORRECTIONS) else 2
    return days_back(profile.day_of(envelope.occurred_at), count, ahead=1)


def keys_for(envelope: Envelope, profile: FacilityProfile = DEFAULT_PROFILE) -> list[str]:
    """Table keys this event reads or writes; the facility summary first."""
    facility, fact, aggregate = envelope.facility_id, envelope.data, str(envelope.aggregate_id)
    keys = [facility_key(facility)]
    if type(fact) in ED_FACTS:
        owner = encounter_key if isinstance(fact, _ENCOUNTER_FACTS) else bed_key
        keys.append(owner(facility, aggregate))
        # Day buckets: written by visits, read by every ED event because the
        # "today" and rolling metrics move on with event time.
        keys.extend(day_key(facility, day) for day in _days(envelope, profile))
    elif not isinstance(fact, _CALENDAR_FACTS):
        keys.extend((appointment_key(facility, aggregate), schedule_key(facility)))
    keys.extend(work_queue.keys_for(envelope))  # the scheduler's work queue (access events only)
    return keys


def step(entries: Mapping[str, Entry | None], envelope: Envelope, profile: FacilityProfile = DEFAULT_PROFILE) -> Step:
    """Fold one event into the entries named by `keys_for(envelope)`."""
    facility = envelope.facility_id
    out = Builder(entries)
    summary = out.get(facility_key(facility), FacilitySummary) or FacilitySummary(facility_id=facility)
    stream = stream_of(envelope)
    if envelope.position <= summary.positions.get(stream, 0):
        return Step()
    advanced = replace(summary, positions={**summary.positions, stream: envelope.position})
    if stream == "ed":
        last = summary.last_event_at
        advanced = replace(
            advanced, last_event_at=envelope.occurred_at if last is None else max(last, envelope.occurred_at)
        )
    if stream == "access":
        new_summary = _appointment_step(out, advanced, envelope, profile)
        # The work queue's keys (keys_for) hold only its own entries.
        out.changes.update(work_queue.step(cast(Mapping[str, QueueEntry | None], entries), envelope))
    else:
        days = _days(envelope, profile)
        old_buckets = {d: out.get(day_key(facility, d), DayBucket) for d in days}
        new_buckets = dict(old_buckets)
        if isinstance(envelope.data, _ENCOUNTER_FACTS):
            new_summary = _encounter_step(out, advanced, envelope, profile, new_buckets)
        else:
            new_summary = _bed_step(out, advanced, envelope)
        new_summary = _refresh_metrics(out, new_summary, new_buckets, old_buckets, profile)
        out.publish(
            CapacityChange,
            "ed",
            capacity.capacity_value(summary, profile),
            capacity.capacity_value(new_summary, profile),
        )
    out.write(facility_key(facility), summary, new_summary)
    return Step(out.changes, out.board)


def _refresh_metrics(
    out: Builder,
    summary: FacilitySummary,
    buckets: dict[str, DayBucket | None],
    before: dict[str, DayBucket | None],
    profile: FacilityProfile,
) -> FacilitySummary:
    """Publish "today" when a sample changed, and the rolling 24 h when a
    sample was retracted or event time moved on by METRICS_REFRESH: the
    window is a pass over two days of samples, too dear for every event.
    The snapshot computes each at the time stored here, so both agree."""
    last = summary.last_event_at
    assert last is not None, "step sets it for every ED event"
    sampled = [day for day in buckets if buckets[day] is not before[day]]
    due = lambda at: at is None or last - at >= METRICS_REFRESH  # noqa: E731
    changes: dict[str, Any] = {}
    new_day = summary.metrics_at is not None and profile.day_of(last) != profile.day_of(summary.metrics_at)
    if sampled or new_day or due(summary.metrics_at):
        today = metrics.today_entity(buckets, last, profile)
        if today is not None:
            out.publish(MetricsChange, "today", None, today)
            changes["metrics_at"] = last
    # A sample at or before the window's end (a correction, or an event at the
    # same instant) changes the published window: recompute it.
    inside = (
        out.earliest_sample is not None and summary.rolling_at is not None and out.earliest_sample <= summary.rolling_at
    )
    if inside or due(summary.rolling_at):
        rolling = metrics.rolling_entity(buckets, last, profile)
        if rolling is not None:
            out.publish(MetricsChange, "rolling24h", None, rolling)
            changes["rolling_at"] = last
    return replace(summary, **changes) if changes else summary


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
    targets = profile.wait_targets
    out.publish(
        EncounterChange,
        encounter_id,
        encounters.board_value(old, at, targets),
        encounters.board_value(new, at, targets),
    )

    old_samples, new_samples = metrics.visit_samples(old, profile), metrics.visit_samples(new, profile)
    for day in old_samples.keys() | new_samples.keys():
        if day not in buckets or old_samples.get(day) == new_samples.get(day):
            continue  # unchanged, or older than the correction window reaches
        before = buckets[day]
        out.sampled(metrics.changed_times(old_samples.get(day), new_samples.get(day)))
        buckets[day] = metrics.with_samples(before or DayBucket(day=day), old_samples.get(day), new_samples.get(day))
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
    if new is not None:
        out.publish(BedChange, new.bed_id, beds.board_value(old), beds.board_value(new))
    return capacity.with_bed(summary, old, new)


def _appointment_step(
    out: Builder, summary: FacilitySummary, envelope: Envelope, profile: FacilityProfile
) -> FacilitySummary:
    fact = envelope.data
    if isinstance(fact, _CALENDAR_FACTS):
        return summary  # provider calendars are the write model's concern
    appointment_id = str(envelope.aggregate_id)
    key = appointment_key(envelope.facility_id, appointment_id)
    old = out.get(key, AppointmentEntry)
    if old is None:
        new = schedule.booked(appointment_id, fact) if isinstance(fact, AppointmentBooked) else None
    else:
        new = schedule.apply_fact(old, fact)
    out.write(key, old, new)
    out.publish(AppointmentChange, appointment_id, schedule.appointment_value(old), schedule.appointment_value(new))
    book_key = schedule_key(envelope.facility_id)
    stored = out.get(book_key, ScheduleBook)
    book = stored or ScheduleBook()
    new_book, changed = schedule.with_appointment(book, old, new, profile)
    out.write(book_key, stored, new_book if new_book.counts else None)
    for sid in sorted(changed):
        out.publish(ScheduleChange, sid, schedule.schedule_value(book, sid), schedule.schedule_value(new_book, sid))
    return summary


def fold_into(
    table: MutableMapping[str, Entry], envelopes: Iterable[Envelope], profile: FacilityProfile = DEFAULT_PROFILE
) -> MutableMapping[str, Entry]:
    """Fold events into an in-memory table (replay and tests); returns it."""
    for envelope in envelopes:
        result = step({k: table.get(k) for k in keys_for(envelope, profile)}, envelope, profile)
        for key, entry in result.changes.items():
            if entry is None:
                table.pop(key, None)
            else:
                table[key] = entry
    return table
