"""An auditor's view of one visit: every event, who caused it, when it
happened and when it was recorded — including the bed events it caused."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from base.store_log import envelopes
from services.ed.application import encounter_id_for
from services.errors import NotFound


def visit_timeline(app, facility_id: str, visit: str) -> list[dict[str, Any]]:
    try:
        encounter_id = uuid.UUID(visit)
    except ValueError:
        encounter_id = encounter_id_for(facility_id, visit)
    try:
        app.encounter(facility_id, encounter_id)  # unknown, or another facility's visit
    except NotFound:
        raise NotFound(f"visit {visit} not found in facility {facility_id}") from None
    rows = []
    for envelope in envelopes(app):
        if envelope.facility_id != facility_id:
            continue
        if envelope.aggregate_id == encounter_id or getattr(envelope.data, "encounter_id", None) == str(encounter_id):
            rows.append(_row(envelope))
    if not rows:
        raise NotFound(f"visit {visit} not found")
    return rows


def _row(envelope) -> dict[str, Any]:
    detail = msgspec.to_builtins(envelope.data)
    detail.pop("type", None)
    return {
        "position": envelope.position,
        "type": envelope.type,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "actor": envelope.actor.id,
        "role": envelope.actor.role,
        "aggregate": envelope.aggregate_type,
        "detail": ", ".join(f"{k}={v}" for k, v in detail.items() if k != "patient" and v not in (None, "")),
    }
