"""The rows of an auditor's timeline: one per stored event, with both times,
who did it, a short summary, and corrections linked to what they corrected.

A correction (`ArrivalCancelled`, `DischargeCancelled`, `PatientDetailsUpdated`
that changes a value) names the event(s) whose value it replaces and each
value before and after; the corrected event names the correction. An event
recorded `LATE` or more after it happened is marked as late documentation.
Rows are built from the stored facts, so an MRN correction shows both MRNs;
a corrected name shows its initials, a corrected birth date its year.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from base.store_log import to_envelope
from events.catalogue import (
    ArrivalCancelled,
    BedRegistered,
    DischargeCancelled,
    PatientArrived,
    PatientDetailsUpdated,
    PatientDischarged,
    Person,
)
from events.published import initial
from services.audit.summaries import summary

# Recorded this much after it happened: documented late, and marked.
LATE = timedelta(minutes=2)
PERSON_FIELDS = ("mrn", "family_name", "given_name", "birth_date", "age_years", "sex")


class Rows:
    """Builds rows in store order, keeping per aggregate what each field holds
    and which event set it, so a later correction can name both."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.by_event: dict[str, dict[str, Any]] = {}
        # aggregate -> field -> (value, event id that set it)
        self.values: dict[UUID, dict[str, tuple[Any, str]]] = {}
        self.arrivals: dict[UUID, str] = {}  # encounter -> its arrival event
        self.discharges: dict[UUID, str] = {}  # encounter -> its standing discharge event
        self.beds: dict[UUID, str] = {}  # bed aggregate -> bed id, for bed events' summaries

    def see_bed(self, aggregate_id: UUID, fact: Any) -> None:
        if isinstance(fact, BedRegistered):
            self.beds[aggregate_id] = fact.bed_id

    def add(self, notification, domain_event, record: dict[str, str]) -> dict[str, Any] | None:
        """The row of one stored event of `record` (kind, id, reference); None for internal records."""
        envelope = to_envelope(notification, domain_event)
        if envelope is None:
            return None
        fact, aggregate = domain_event.fact, envelope.aggregate_id
        event_id = str(envelope.event_id)
        late_by = envelope.recorded_at - envelope.occurred_at
        row: dict[str, Any] = {
            "position": envelope.position,
            "event_id": event_id,
            **record,
            "type": envelope.type,
            "occurred_at": envelope.occurred_at.isoformat(),
            "recorded_at": envelope.recorded_at.isoformat(),
            "actor": envelope.actor.id,
            "role": envelope.actor.role,
            "aggregate": envelope.aggregate_type,
            "summary": summary(fact, bed=self.beds.get(aggregate)),
            "detail": _detail(envelope.data),
            "late": late_by >= LATE,
            "late_by_minutes": int(late_by.total_seconds() // 60) if late_by >= LATE else 0,
            "correction": False,
            "corrects": [],
            "changes": [],
            "correction_note": "",
            "corrected_by": [],
        }
        changes = self._changes(aggregate, fact, event_id)
        if changes is not None:
            corrected = [t for t in dict.fromkeys(c["set_by"] for c in changes) if t in self.by_event]
            row.update(correction=True, corrects=corrected, changes=changes)
            if isinstance(fact, PatientDetailsUpdated):
                row["summary"] = "details corrected: " + describe(changes)
            after = [self._mark_corrected(target, row) for target in corrected]
            row["correction_note"] = (
                f"{describe(changes)}, corrected by {row['actor']} ({row['role']}) at {row['recorded_at']}"
                + (f", {after[0]} after" if after else "")
            )
        self.rows.append(row)
        self.by_event[event_id] = row
        return row

    def _changes(self, aggregate: UUID, fact: Any, event_id: str) -> list[dict[str, Any]] | None:
        """The values `fact` replaces (None: it is no correction); keeps the values current."""
        values = self.values.setdefault(aggregate, {})
        if isinstance(fact, PatientArrived):
            self.arrivals[aggregate] = event_id
            for field, value in _stated(fact).items():
                values[field] = (value, event_id)
            return None
        if isinstance(fact, PatientDischarged):
            self.discharges[aggregate] = event_id
            return None
        if isinstance(fact, DischargeCancelled):
            target = self.discharges.pop(aggregate, "")
            before = self.by_event.get(target, {}).get("summary", "")
            return [{"field": "discharge", "before": before, "after": "cancelled", "set_by": target}]
        if isinstance(fact, ArrivalCancelled):
            arrival = self.arrivals.get(aggregate, "")
            return [{"field": "arrival", "before": "recorded", "after": "cancelled", "set_by": arrival}]
        if isinstance(fact, PatientDetailsUpdated):
            changes = []
            for field, value in _stated(fact).items():
                before, set_by = values.get(field, (None, ""))
                if before != value:
                    shown = {"before": _shown(field, before), "after": _shown(field, value)}
                    changes.append({"field": field, **shown, "set_by": set_by})
                values[field] = (value, event_id)
            return changes or None
        return None

    def _mark_corrected(self, target: str, correction: dict[str, Any]) -> str:
        """Names `correction` on the event it corrects; how long after that event it came."""
        corrected = self.by_event[target]
        after = _since(corrected["recorded_at"], correction["recorded_at"])
        corrected["corrected_by"].append(
            {
                "event_id": correction["event_id"],
                "position": correction["position"],
                "type": correction["type"],
                "actor": correction["actor"],
                "role": correction["role"],
                "recorded_at": correction["recorded_at"],
                "after": after,
            }
        )
        return after


def _stated(fact: PatientArrived | PatientDetailsUpdated) -> dict[str, Any]:
    """The values an arrival or an update states (an update's unset fields keep theirs)."""
    stated: dict[str, Any] = {}
    if fact.chief_complaint is not None:
        stated["chief_complaint"] = fact.chief_complaint
    if fact.arrival_mode is not None:
        stated["arrival_mode"] = fact.arrival_mode
    person: Person | None = fact.patient
    if person is not None:
        for field in PERSON_FIELDS:
            value = getattr(person, field)
            if value is not None and not (field == "sex" and value == "U" and isinstance(fact, PatientDetailsUpdated)):
                stated[field] = value.isoformat() if hasattr(value, "isoformat") else value
    return stated


def _shown(field: str, value: Any) -> Any:
    """A changed value as the timeline shows it: names by their initial and a
    birth date by its year (the timeline is read for who did what, not to copy
    identity out); the MRN whole, as it is what the patient timeline is asked by."""
    if value is None:
        return None
    if field in ("family_name", "given_name"):
        return initial(value) + "."
    if field == "birth_date":
        return str(value)[:4] + "-…"
    return value


def describe(changes: list[dict[str, Any]]) -> str:
    """Each change as "chief complaint: 'chest pain' → 'abdominal pain'", joined by '; '."""
    return "; ".join(f"{c['field'].replace('_', ' ')}: {_quoted(c['before'])} → {_quoted(c['after'])}" for c in changes)


def _quoted(value: Any) -> str:
    return "(none)" if value is None else f"'{value}'"


def _since(first: str, then: str) -> str:
    """How long after `first` `then` came, as '3 h', '12 min' or '2 d'."""

    seconds = (datetime.fromisoformat(then) - datetime.fromisoformat(first)).total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{max(seconds, 0) / 60:.0f} min"


def _detail(data: Any) -> str:
    detail = msgspec.to_builtins(data)
    detail.pop("type", None)
    return ", ".join(f"{k}={v}" for k, v in detail.items() if k != "patient" and v not in (None, ""))
