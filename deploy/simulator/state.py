"""What every kind of simulated staff works with: the department's picture
of its beds and visits, the tally, the seeded generators and the clock.

`deploy.simulator.department.Simulator` fills these in; the staff's actions
(`deploy.simulator.beds`, `.ed`, `.clinic`) are written against this class,
so each knows what the others provide without importing them.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from base.facility import Facility
from deploy.simulator.arrivals import ArrivalModel
from deploy.simulator.client import CommandClient, Reply
from deploy.simulator.patients import Course

Args = TypeVarTuple("Args")


@dataclass
class BedState:
    bed_id: str
    unit: str
    bed_type: str
    status: str = "available"


@dataclass
class Visit:
    number: str
    course: Course
    arrived_at: datetime
    encounter_id: str = ""
    stage: str = "arrived"  # arrived | waiting | roomed | leaving | gone
    bed_id: str | None = None
    boarding: bool = False
    stay_minutes: float = 0.0  # arrival -> departure, once departed
    inherited: bool = False  # in a bed before this run began: not in the tally
    discharge_cancelled: bool = False
    ventilated: bool = False
    inpatient_bed: str | None = None  # the bed its request was given (deploy.simulator.placement)

    @property
    def gone(self) -> bool:
        return self.stage == "gone"


@dataclass
class Tally:
    arrivals: int = 0
    departures: Counter[str] = field(default_factory=Counter)  # by disposition, plus "lwbs"
    stays_minutes: list[float] = field(default_factory=list)  # arrival -> departure
    corrections: int = 0
    ventilations: int = 0  # started
    placements: int = 0  # inpatient beds assigned to boarders
    appointments: int = 0


# A due action: when, the order it was scheduled in (breaks ties), what, and with what.
Due = tuple[datetime, int, Callable[..., None], tuple[Any, ...]]


class Department:
    facility: Facility
    client: CommandClient
    model: ArrivalModel
    rng: random.Random  # the patients' courses
    ops_rng: random.Random  # everything the staff decide
    now: datetime
    tally: Tally
    visits: dict[str, Visit]
    beds: dict[str, BedState]
    ed_providers: list[str]
    _run_tag: str
    _clinic_numbers: Iterator[int]
    _queue: list[Due]
    _order: Iterator[int]

    # --- the clock ------------------------------------------------------------

    def schedule(self, at: datetime, action: Callable[[*Args], None], *args: *Args) -> None:
        heapq.heappush(self._queue, (at, next(self._order), action, args))

    def after(self, minutes: float, action: Callable[[*Args], None], *args: *Args) -> None:
        self.schedule(self.now + timedelta(minutes=minutes), action, *args)

    def command(self, role: str, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Reply:
        """Send one command as it happens now, on the simulated clock."""
        return self.client.send(role, method, path, {**(body or {}), "occurred_at": self.now.isoformat()})

    # --- what one kind of staff asks of another ---------------------------------

    def fill_beds(self) -> None:
        """Room waiting patients (the ED staff, once a bed comes free)."""
        raise NotImplementedError

    def _finish_inherited_stay(self, encounter_id: str, bed_id: str | None = None) -> None:
        """See out a stay an earlier run left open (the ED staff)."""
        raise NotImplementedError

    def _patient(self, course: Course) -> dict[str, Any]:
        """The patient part of a registration or booking (the ED staff)."""
        raise NotImplementedError

    def book_follow_up(self, visit: Visit) -> None:
        """Book a discharged patient's follow-up appointment (patient access)."""
        raise NotImplementedError
