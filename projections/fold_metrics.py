"""When one ED event republishes the flow metrics ("today", rolling 24 h),
and the event times the facility summary records for them.

What the summary records is state, the same whether or not the step builds
board values: a metric counts as published when its days are at hand, which
is exactly when `metrics.today_entity` / `metrics.rolling_entity` give a value.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from msgspec.structs import replace

from events.board import MetricsChange
from projections import metrics
from projections.entries import DayBucket, FacilitySummary
from projections.profile import FacilityProfile
from projections.step_builder import Builder

# Flow metrics are republished at least this often in event time, so the
# rolling 24 h window moves on even while no sample changes.
METRICS_REFRESH = timedelta(minutes=5)


def refresh_metrics(
    out: Builder,
    summary: FacilitySummary,
    buckets: dict[str, DayBucket | None],
    profile: FacilityProfile,
) -> FacilitySummary:
    """Publish "today" when a sample changed, and the rolling 24 h when a
    sample was retracted or event time moved on by METRICS_REFRESH: the
    window is a pass over two days of samples, too dear for every event.
    The snapshot computes each at the time stored here, so both agree."""
    last = summary.last_event_at
    assert last is not None, "step sets it for every ED event"
    sampled = out.resampled
    changes: dict[str, Any] = {}
    metrics_at, rolling_at = summary.metrics_at, summary.rolling_at
    today = profile.day_of(last)
    due = metrics_at is None or last - metrics_at >= METRICS_REFRESH
    if sampled or due or today != profile.day_of(metrics_at):  # type: ignore[arg-type]
        if metrics.today_at_hand(buckets, today):
            changes["metrics_at"] = last
            if out.publishing:
                out.publish(MetricsChange, "today", None, metrics.today_entity(buckets, last, profile))
    # A sample at or before the window's end (a correction, or an event at the
    # same instant) changes the published window: recompute it.
    earliest = out.earliest_sample
    inside = earliest is not None and rolling_at is not None and earliest <= rolling_at
    if inside or rolling_at is None or last - rolling_at >= METRICS_REFRESH:
        if metrics.rolling_at_hand(buckets, today):
            changes["rolling_at"] = last
            if out.publishing:
                out.publish(MetricsChange, "rolling24h", None, metrics.rolling_entity(buckets, last, profile))
    return replace(summary, **changes) if changes else summary
