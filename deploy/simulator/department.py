"""The ED simulator: synthetic patients driven through the HTTP command API.

A discrete-event loop: a heap of due actions ordered by simulated time (ties
by the order they were scheduled), every random draw from generators seeded
from `seed`. Against a fresh event store the same seed sends the same
commands in the same order. Every command carries `occurred_at` = simulated
time; `speed` paces the loop against the wall clock (60 = one simulated hour
per real minute; 0 = as fast as the API answers). Whatever the speed, the
simulated clock never runs ahead of the wall clock: history is played into
the past, and once it catches up with the present it runs live, so the board
never shows an "as of" in the future.

What the staff do lives in `deploy.simulator.ed` (visits and beds) and
`deploy.simulator.clinic` (outpatient clinics and follow-up appointments).
"""

from __future__ import annotations

import heapq
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

from base.facility import Facility
from deploy.simulator.arrivals import ArrivalModel
from deploy.simulator.beds import SimulationError
from deploy.simulator.client import CommandClient
from deploy.simulator.clinic import ClinicActions
from deploy.simulator.ed import EDActions
from deploy.simulator.state import BedState, Tally, Visit

__all__ = ["SimulationError", "SimulationPlan", "Simulator", "Tally"]


@dataclass(frozen=True)
class SimulationPlan:
    facility: Facility
    start: datetime
    duration: timedelta | None = None  # after the warm-up; None: until interrupted
    speed: float = 60.0
    seed: int = 1
    warmup: timedelta = timedelta(0)  # run unpaced first, so the board starts busy
    model: ArrivalModel | None = None
    status_every: float = 5.0  # real seconds between status lines
    # Encounter ids an earlier run left open (see open_visits): finished first.
    leftover_visits: tuple[str, ...] = ()

    @property
    def end(self) -> datetime | None:
        return None if self.duration is None else self.start + self.warmup + self.duration


class Simulator(EDActions, ClinicActions):
    # The wall clock and how to wait for it (replaceable, e.g. by a test's own clock).
    wall: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, plan: SimulationPlan, client: CommandClient, out: Callable[[str], None] = print):
        self.plan, self.client, self.out = plan, client, out
        self.facility = plan.facility
        self.model = plan.model or ArrivalModel(zone=plan.facility.zone)
        self.rng = random.Random(f"{plan.seed}:care")
        self.ops_rng = random.Random(f"{plan.seed}:operations")
        self.now = plan.start
        self.tally = Tally()
        self.visits: dict[str, Visit] = {}
        self.beds: dict[str, BedState] = {
            b.bed_id: BedState(b.bed_id, b.unit, b.bed_type) for b in plan.facility.beds()
        }
        self._inpatient_taken: set[str] = set()  # inpatient beds held or occupied (placement)
        self.ed_providers = [p.id for p in plan.facility.providers_in("emergency")]
        self._queue = []
        self._order = count()
        self._arrivals = self.model.arrival_times(random.Random(f"{plan.seed}:arrivals"), plan.start, plan.end)
        self._visit_numbers = count(1)
        self._clinic_numbers = count(1)
        self._run_tag = f"{plan.start:%y%m%d%H%M}S{plan.seed}"
        self._real_anchor: float | None = None
        self._taken_over = False
        self._last_status = self._started = time.monotonic()
        self._sent_at_last_status = 0

    # --- the loop -----------------------------------------------------------

    def run(self) -> Tally:
        self.take_over_beds()
        self.take_over_visits(self.plan.leftover_visits)
        self._taken_over = True
        self._schedule_next_arrival()
        self.start_operations()
        self.start_clinics()
        end = self.plan.end
        while self._queue:
            at, _, action, args = self._queue[0]
            if end is not None and at >= end:
                break
            heapq.heappop(self._queue)
            self._pace(at)
            self.now = max(self.now, at)
            action(*args)
            self._maybe_status()
        if end is not None:
            self.now = end
        self.out(self.status_line())
        return self.tally

    def open_visits(self) -> list[str]:
        """Encounter ids of visits still in the department: a later run finishes them."""
        if not self._taken_over:  # stopped before it got to them: keep them for next time
            return sorted(set(self.visits) | set(self.plan.leftover_visits))
        return sorted(self.visits)

    def _pace(self, at: datetime) -> None:
        """Wait until the wall clock reaches `at` on the simulated timeline,
        and in any case until it reaches `at` itself."""
        paced_from = self.plan.start + self.plan.warmup
        if self.plan.speed > 0 and at > paced_from:
            if self._real_anchor is None:
                self._real_anchor = time.monotonic()
            due = self._real_anchor + (at - paced_from).total_seconds() / self.plan.speed
            while (remaining := due - time.monotonic()) > 0:
                self.sleep(min(remaining, 0.5))
                self._maybe_status()
        while (ahead := (at - self.wall()).total_seconds()) > 0:
            self.sleep(min(ahead, 0.5))
            self._maybe_status()

    def _maybe_status(self) -> None:
        if time.monotonic() - self._last_status >= self.plan.status_every:
            self.out(self.status_line())

    def status_line(self) -> str:
        """Counts only: nothing here identifies a patient."""
        elapsed = max(time.monotonic() - self._last_status, 1e-6)
        rate = (self.client.counts.sent - self._sent_at_last_status) / elapsed
        self._last_status, self._sent_at_last_status = time.monotonic(), self.client.counts.sent
        local = self.now.astimezone(self.facility.zone)
        present = [v for v in self.visits.values() if not v.gone]
        waiting = sum(1 for v in present if v.bed_id is None)
        boarding = sum(1 for v in present if v.boarding)
        free = sum(1 for b in self.beds.values() if b.status == "available")
        counts = self.client.counts
        return (
            f"sim {local:%Y-%m-%d %H:%M %Z} | arrivals {self.tally.arrivals} | in department {len(present)} "
            f"(waiting {waiting}, boarding {boarding}) | beds free {free}/{len(self.beds)} | "
            f"{rate:.1f} cmd/s | commands {counts.sent} | conflicts {counts.conflicts} | "
            f"errors {counts.unexpected_total}"
        )

    def summary_lines(self) -> list[str]:
        tally, counts = self.tally, self.client.counts
        departures = ", ".join(f"{k} {v}" for k, v in sorted(tally.departures.items()) if v) or "none"
        lines = [f"arrivals {tally.arrivals}; departures {departures}"]
        if tally.stays_minutes:
            lines.append(f"median length of stay {statistics.median(tally.stays_minutes) / 60:.2f} h")
        lines.append(
            f"commands {counts.sent}: {counts.succeeded} accepted, {counts.conflicts} conflicts (409), "
            f"{counts.unexpected_total} unexpected; corrections {tally.corrections}; "
            f"appointments {tally.appointments}; ventilations {tally.ventilations}"
        )
        lines += [f"conflict: {n} x {what}" for what, n in counts.conflict_codes.most_common(5)]
        lines += [f"unexpected: {n} x {what}" for what, n in counts.unexpected.most_common()]
        return lines

    # --- arrivals -----------------------------------------------------------

    def _schedule_next_arrival(self) -> None:
        at = next(self._arrivals, None)
        if at is not None:
            self.schedule(at, self._arrival)

    def _arrival(self) -> None:
        self._schedule_next_arrival()
        self.arrive(f"SIM-{self._run_tag}-{next(self._visit_numbers):05d}")
