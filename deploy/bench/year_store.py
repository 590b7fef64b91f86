"""A year of the demo hospital's ED history, recorded into a store quickly,
for benchmarks that need a long history (`bench_scrub.py`).

Visits arrive all day and night (about 164 a day, ~60,000 a year, more in the
afternoon than at dawn) and flow through triage, a provider, one of the demo's
46 beds when one is free, then home (about 76%), admission after boarding
(about 22%) or leave without being seen (2%); a bed is cleaned after each
patient. About one triage in twenty is documented a few minutes after it
happened. Decisions run on the write model's own aggregates (its rules
checked, its loading skipped: they are kept in memory), saved to the store
every `PER_TRANSACTION` decisions, and each event is stamped as recorded at the
simulated instant its command ran (the store's clock is set to it), so both
time axes span the year as they would had it been recorded live.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import eventsourcing.domain
from rich.progress import Progress

from events.catalogue import BedRegistered, PatientArrived, Person
from events.envelope import Actor
from services.ed.application import bed_aggregate_id, encounter_id_for
from services.ed.domainmodel import Bed, Encounter
from services.hospital import Hospital
from services.recording import Meta

FACILITY = "demo"
START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
BEDS = [
    *(f"R{n}" for n in range(1, 5)),
    *(f"A{n}" for n in range(1, 13)),
    *(f"B{n}" for n in range(1, 13)),
    *(f"F{n}" for n in range(1, 9)),
    *(f"H{n}" for n in range(1, 5)),
    *(f"OBS{n}" for n in range(1, 7)),
]
PER_TRANSACTION = 200
# Relative arrival rate by hour of the day (local time is not modelled).
HOURLY = [0.5, 0.4, 0.35, 0.3, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2, 1.3, 1.35,
          1.4, 1.4, 1.4, 1.35, 1.3, 1.3, 1.25, 1.2, 1.1, 0.9, 0.75, 0.6]  # fmt: skip


@contextmanager
def store_clock(now: Callable[[], datetime]) -> Iterator[None]:
    """Events created inside are stamped as recorded at `now()`."""
    original = eventsourcing.domain.datetime_now_with_tzinfo
    eventsourcing.domain.datetime_now_with_tzinfo = now
    try:
        yield
    finally:
        eventsourcing.domain.datetime_now_with_tzinfo = original


def record_year(app: Hospital, visits: int, progress: Progress, days: float = 365.0, seed: int = 16) -> int:
    """Record `visits` ED visits spread over `days`; returns the store's last position."""
    rng = random.Random(seed)
    queue: list[tuple[datetime, int, str, str, datetime]] = []  # (run at, tie, action, visit or bed, occurred at)
    tie = itertools.count()
    now = [START]

    def at(moment: datetime, action: str, subject: str, occurred: datetime | None = None) -> None:
        heapq.heappush(queue, (moment, next(tie), action, subject, occurred or moment))

    mean_gap = days * 24 * 60 / visits  # minutes between arrivals, on average
    moment = START
    for n in range(visits):
        moment += timedelta(minutes=rng.expovariate(HOURLY[moment.hour] / mean_gap))
        at(moment, "arrive", f"V{n:06d}")
    task = progress.add_task("recording a year of visits", total=visits)
    # The aggregates themselves, kept in memory while they change: the write
    # model's rules run on every decision, only its loading is skipped.
    with store_clock(lambda: now[0] + timedelta(seconds=2)):
        beds = {b: Bed.register(bed_aggregate_id(FACILITY, b), BedRegistered(bed_id=b, unit="ed"), _meta(START))
                for b in BEDS}  # fmt: skip
    free, waiting_for_bed, open_visits = list(BEDS), list[str](), dict[str, Encounter]()
    touched: dict[uuid.UUID, Any] = {bed.id: bed for bed in beds.values()}

    def minutes(low: float, high: float) -> timedelta:
        return timedelta(minutes=rng.uniform(low, high))

    def room(visit: Encounter, when: datetime) -> None:
        bed = beds[free.pop()]
        visit.move_to_bed(bed.bed_id, bed.unit, _meta(when))
        bed.occupy(str(visit.id), _meta(when))
        touched[bed.id] = bed
        decided = rng.random() < 0.22
        at(when + minutes(60, 180), "admit" if decided else "home", visit.visit_number)

    def leave(visit: Encounter, bed_id: str | None, when: datetime) -> None:
        del open_visits[visit.visit_number]
        if bed_id is not None:
            beds[bed_id].release(str(visit.id), _meta(when))
            touched[beds[bed_id].id] = beds[bed_id]
            at(when + minutes(15, 40), "clean", bed_id)
        progress.advance(task)

    def step(action: str, subject: str, occurred: datetime) -> None:
        when = now[0]
        if action == "clean":
            beds[subject].finish_cleaning(_meta(when))
            touched[beds[subject].id] = beds[subject]
            free.append(subject)
            if waiting_for_bed:
                room(open_visits[waiting_for_bed.pop(0)], when)
            return
        if action == "arrive":
            person = Person(age_years=rng.randint(0, 95), sex=rng.choice(("F", "M")))
            fact = PatientArrived(visit_number=subject, patient=person, chief_complaint="chest pain")
            visit = open_visits[subject] = Encounter.arrive(encounter_id_for(FACILITY, subject), fact, _meta(when))
            late = rng.random() < 0.05
            triaged = when + minutes(3, 20)
            at(triaged + (minutes(2, 8) if late else timedelta()), "triage", subject, triaged)
        else:
            visit = open_visits[subject]
        touched[visit.id] = visit
        if action == "triage":
            visit.triage(rng.choice((1, 2, 3, 3, 3, 4, 4, 5)), _meta(occurred))
            at(when + minutes(10, 60), "lwbs" if rng.random() < 0.02 else "provider", subject)
        elif action == "lwbs":
            leave(visit, visit.leave_without_being_seen(_meta(when)), when)
        elif action == "provider":
            visit.assign_provider(f"ed-{rng.randint(1, 8)}", _meta(when))
            if free:
                room(visit, when)
            else:
                waiting_for_bed.append(subject)
        elif action == "admit":
            visit.decide_admit("ward", None, _meta(when))
            at(when + minutes(60, 480), "admitted", subject)
        elif action in ("home", "admitted"):
            leave(visit, visit.discharge("home" if action == "home" else "admitted", None, _meta(when)), when)

    with store_clock(lambda: now[0] + timedelta(seconds=2)):
        while queue:
            for _ in range(PER_TRANSACTION):
                if not queue:
                    break
                now[0], _, action, subject, occurred = heapq.heappop(queue)
                step(action, subject, occurred)
            app.save(*touched.values())
            touched.clear()
    return app.recorder.max_notification_id() or 0


def _meta(occurred: datetime) -> Meta:
    return Meta(facility_id=FACILITY, occurred_at=occurred, actor=Actor(id="sim", role="charge-nurse"))
