"""Reading the event store's log, in order, a page at a time.

Every loop that follows the store — the relay, the work-queue reader, replay,
the audit timeline, the access log, `audit verify`, FHIR searches — reads it
through `pages`, `records` or `envelopes`, on SQLite and PostgreSQL alike.
Positions are notification ids: "after 0" is the whole log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from events.envelope import Envelope, event_id_for

PAGE = 1000


def aggregate_type_of(topic: str) -> str:
    """'edflow:Encounter.Recorded' -> 'Encounter'."""
    return topic.rsplit(":", 1)[-1].split(".")[0]


def to_envelope(notification: Notification, domain_event: Any) -> Envelope | None:
    """The published form of a stored event; None for internal records
    (idempotency receipts, access-log entries) that are not part of the
    public contract."""
    fact = getattr(domain_event, "fact", None)
    if fact is None:
        return None
    meta = domain_event.meta
    aggregate_id: UUID = domain_event.originator_id
    return Envelope(
        event_id=event_id_for(aggregate_id, domain_event.originator_version),
        type=type(fact).__name__,
        schema_version=type(fact).SCHEMA_VERSION,
        facility_id=meta.facility_id,
        aggregate_type=aggregate_type_of(notification.topic),
        aggregate_id=aggregate_id,
        aggregate_version=domain_event.originator_version,
        position=notification.id,
        occurred_at=meta.occurred_at,
        recorded_at=domain_event.timestamp,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
        data=fact,
    )


def pages(
    app: Any, after: int = 0, *, page: int = PAGE, topics: Sequence[str] = (), stop: int | None = None
) -> Iterator[Sequence[Notification]]:
    """The log after position `after` (up to `stop`, if given), one page of
    notifications at a time, until the end of what is recorded now."""
    position = after
    while True:
        notifications = app.recorder.select_notifications(
            position, limit=page, stop=stop, topics=topics, inclusive_of_start=False
        )
        if not notifications:
            return
        yield notifications
        position = notifications[-1].id
        if len(notifications) < page or (stop is not None and position >= stop):
            return


def records(app: Any, after: int = 0, **options: Any) -> Iterator[tuple[Notification, Any]]:
    """(notification, domain event) pairs after `after`, in store order."""
    to_domain_event = app.mapper.to_domain_event
    for notifications in pages(app, after, **options):
        for notification in notifications:
            yield notification, to_domain_event(notification)


def envelopes(app: Any, after: int = 0, **options: Any) -> Iterator[Envelope]:
    """Published events after `after`, in store order; internal records skipped."""
    for notification, domain_event in records(app, after, **options):
        envelope = to_envelope(notification, domain_event)
        if envelope is not None:
            yield envelope


def envelopes_after(app: Any, position: int, limit: int = PAGE) -> tuple[list[Envelope], int]:
    """One page: the published events after `position` and the last position
    read (internal records count as read); `position` itself when nothing new."""
    found: list[Envelope] = []
    for notifications in pages(app, position, page=limit):
        for notification in notifications:
            envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
            if envelope is not None:
                found.append(envelope)
            position = notification.id
        break
    return found, position
