"""The ED load model: when patients arrive, and how sick they are.

Figures are from docs ED-REFERENCE "Load shape": hourly arrivals at the
University of Iowa Hospitals & Clinics ED (2013-2018, mean 159/day, near
Poisson per hour, Mondays ~8 % above the mean) and the triage mix of a large
five-level series (Taiwan TTAS, 147,897 visits). Each is a parameter: a site
replaces them with its own.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Share (%) of a day's arrivals in each local hour 0..23.
HOURLY_SHARES: tuple[float, ...] = (
    2.83, 2.40, 2.01, 1.65, 1.40, 1.37,
    1.55, 2.20, 3.49, 4.62, 5.38, 5.77,
    5.87, 5.84, 5.89, 6.00, 6.20, 6.25,
    5.99, 5.79, 5.35, 4.77, 4.05, 3.33,
)  # fmt: skip
MEAN_ARRIVALS_PER_DAY = 159.0
MONDAY_FACTOR = 1.08
# ESI level -> share (%). The published series sums to 100.1 (rounding):
# shares are normalised when drawn.
TRIAGE_MIX: Mapping[int, float] = {1: 5.6, 2: 15.2, 3: 59.9, 4: 17.7, 5: 1.7}


def weekday_factors(monday_factor: float = MONDAY_FACTOR) -> tuple[float, ...]:
    """Monday busier by `monday_factor`, the other days equally quieter, so
    that a whole week still averages the daily mean."""
    other = (7 - monday_factor) / 6
    return (monday_factor,) + (other,) * 6


@dataclass(frozen=True)
class ArrivalModel:
    per_day: float = MEAN_ARRIVALS_PER_DAY
    hourly_shares: Sequence[float] = HOURLY_SHARES
    triage_mix: Mapping[int, float] = field(default_factory=lambda: dict(TRIAGE_MIX))
    monday_factor: float = MONDAY_FACTOR
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Chicago"))

    def __post_init__(self) -> None:
        if len(self.hourly_shares) != 24 or min(self.hourly_shares) < 0:
            raise ValueError("hourly_shares needs 24 non-negative shares, one per local hour")
        if self.per_day < 0:
            raise ValueError("arrivals per day must not be negative")
        if not self.triage_mix or set(self.triage_mix) - {1, 2, 3, 4, 5} or min(self.triage_mix.values()) < 0:
            raise ValueError("the triage mix maps ESI levels 1-5 to non-negative shares")
        if sum(self.triage_mix.values()) <= 0:
            raise ValueError("the triage mix needs at least one level with a positive share")

    def hourly_rate(self, at: datetime) -> float:
        """Expected arrivals per hour in the local hour containing `at`."""
        local = at.astimezone(self.zone)
        share = self.hourly_shares[local.hour] / sum(self.hourly_shares)
        return self.per_day * share * weekday_factors(self.monday_factor)[local.weekday()]

    def arrival_times(self, rng: random.Random, start: datetime, end: datetime | None = None) -> Iterator[datetime]:
        """Arrival instants in [start, end): a Poisson process whose rate is
        constant within each local hour. Exponential gaps are drawn at the
        current hour's rate; a gap that crosses the hour boundary is redrawn
        from the boundary (memorylessness makes that exact)."""
        now = start.astimezone(UTC)
        while end is None or now < end:
            boundary = _next_local_hour(now, self.zone)
            rate = self.hourly_rate(now)
            if rate > 0:
                candidate = now + timedelta(hours=rng.expovariate(rate))
                if candidate < boundary:
                    if end is not None and candidate >= end:
                        return
                    yield candidate
                    now = candidate
                    continue
            now = boundary

    def draw_esi(self, rng: random.Random) -> int:
        levels = sorted(self.triage_mix)
        return rng.choices(levels, weights=[self.triage_mix[level] for level in levels])[0]


def _next_local_hour(at: datetime, zone: ZoneInfo) -> datetime:
    # Measured on the local clock, so zones offset by half hours split at
    # their own hour; the difference is added in UTC, so DST days are right.
    local = at.astimezone(zone)
    into_hour = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    return at + timedelta(hours=1) - into_hour
