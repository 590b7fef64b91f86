"""Reading the event store's log, in order, a page at a time.

Every loop that follows the store — the relay, the work-queue reader, replay,
the audit timeline, the access log, `audit verify`, FHIR searches — reads it
through `page_after`, `pages`, `records` or `envelopes`, on SQLite and
PostgreSQL alike. Positions are notification ids: "after 0" is the whole log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from events.envelope import Envelope, event_id_for
from events.published import published_fact, published_version

PAGE = 1000


def aggregate_type_of(topic: str) -> str:
    """'edflow:Encounter.Recorded' -> 'Encounter'."""
    return topic.rsplit(":", 1)[-1].split(".")[0]


def to_envelope(notification: Notification, domain_event: Any) -> Envelope | None:
    """The published form of a stored event, patient identity withheld
    (events/published.py); None for internal records (idempotency receipts,
    access-log entries) that are not part of the public contract."""
    fact = getattr(domain_event, "fact", None)
    if fact is None:
        return None
    meta = domain_event.meta
    aggregate_id: UUID = domain_event.originator_id
    return Envelope(
        event_id=event_id_for(aggregate_id, domain_event.originator_version),
        type=type(fact).__name__,
        schema_version=published_version(type(fact)),
        facility_id=meta.facility_id,
        aggregate_type=aggregate_type_of(notification.topic),
        aggregate_id=aggregate_id,
        aggregate_version=domain_event.originator_version,
        position=notification.id,
        occurred_at=meta.occurred_at,
        recorded_at=domain_event.timestamp,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
        data=published_fact(fact, meta.occurred_at),
    )


def page_after(
    app: Application[Any], after: int, *, limit: int = PAGE, topics: Sequence[str] = (), stop: int | None = None
) -> Sequence[Notification]:
    """At most `limit` notifications after position `after` (of `topics`, if
    given, and not past `stop`), in store order; empty at the end of the log."""
    return app.recorder.select_notifications(after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False)


def pages(
    app: Application[Any],
    after: int = 0,
    *,
    page: int = PAGE,
    topics: Sequence[str] = (),
    stop: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[Sequence[Notification]]:
    """The log after position `after`, one page of notifications at a time,
    until the end of what is recorded now. `on_page` hears the last position
    of each page once the reader has moved past it."""
    position = after
    while notifications := page_after(app, position, limit=page, topics=topics, stop=stop):
        yield notifications
        position = notifications[-1].id
        if on_page is not None:
            on_page(position)
        if len(notifications) < page or (stop is not None and position >= stop):
            return


def records(
    app: Application[Any],
    after: int = 0,
    *,
    page: int = PAGE,
    topics: Sequence[str] = (),
    stop: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[tuple[Notification, DomainEventProtocol[Any]]]:
    """(notification, domain event) pairs after `after`, in store order."""
    to_domain_event = app.mapper.to_domain_event
    for notifications in pages(app, after, page=page, topics=topics, stop=stop, on_page=on_page):
        for notification in notifications:
            yield notification, to_domain_event(notification)


def envelopes(
    app: Application[Any],
    after: int = 0,
    *,
    page: int = PAGE,
    stop: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> Iterator[Envelope]:
    """Published events after `after`, in store order; internal records skipped."""
    for notification, domain_event in records(app, after, page=page, stop=stop, on_page=on_page):
        envelope = to_envelope(notification, domain_event)
        if envelope is not None:
            yield envelope


def envelopes_after(app: Application[Any], position: int, limit: int = PAGE) -> tuple[list[Envelope], int]:
    """One page: the published events after `position` and the last position
    read (internal records count as read); `position` itself when nothing new."""
    found: list[Envelope] = []
    for notification in page_after(app, position, limit=limit):
        envelope = to_envelope(notification, app.mapper.to_domain_event(notification))
        if envelope is not None:
            found.append(envelope)
        position = notification.id
    return found, position
