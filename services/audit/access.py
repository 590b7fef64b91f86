"""Access audit: every read of a patient's identifiable data is recorded —
who, what, when, from where — in the event store itself, so the log is
append-only and covered by the same hash chain as the events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import msgspec
from eventsourcing.domain import Aggregate

from base.store_log import records

ACCESS_TOPIC = "edflow:AccessRecord.Created"


class AccessEntry(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    facility_id: str
    actor_id: str
    role: str
    action: str  # e.g. "read", "export", "replay"
    resource: str  # e.g. "Encounter", "timeline", "fhir/Encounter", "report"
    resource_id: str
    client: str = ""  # address the request came from
    purpose: str = ""


class AccessRecord(Aggregate):
    TOPIC = "edflow:AccessRecord"

    class Created(Aggregate.Created):
        TOPIC = ACCESS_TOPIC
        access: AccessEntry

    def __init__(self, access: AccessEntry):
        self.access = access


def record_access(app, entry: AccessEntry) -> None:
    """Record one access; saved before the data is returned to the caller."""
    app.save(AccessRecord._create(AccessRecord.Created, id=uuid.uuid4(), access=entry))


def access_log(
    app,
    facility_id: str | None = None,
    actor_id: str | None = None,
    resource_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[AccessEntry]:
    for _, event in records(app, topics=[ACCESS_TOPIC]):
        assert isinstance(event, AccessRecord.Created), "the access topic holds only access records"
        entry = event.access
        if facility_id and entry.facility_id != facility_id:
            continue
        if actor_id and entry.actor_id != actor_id:
            continue
        if resource_id and entry.resource_id != resource_id:
            continue
        if since and entry.at < since or until and entry.at > until:
            continue
        yield entry


def record_read(app, principal, facility_id: str, resource: str, resource_id: str, client: str | None) -> None:
    """One authorised read by a verified caller (API, FHIR, exports)."""

    record_access(
        app,
        AccessEntry(
            at=datetime.now(UTC),
            facility_id=facility_id,
            actor_id=principal.subject,
            role=principal.role,
            action="read",
            resource=resource,
            resource_id=resource_id,
            client=client or "",
        ),
    )


def record_cli_read(app, facility_id: str, resource: str, resource_id: str) -> None:
    """A read through the `edflow` command line: the operating-system user is the actor."""
    import getpass
    import socket

    record_access(
        app,
        AccessEntry(
            at=datetime.now(UTC),
            facility_id=facility_id,
            actor_id=f"os:{getpass.getuser()}",
            role="auditor",
            action="read",
            resource=resource,
            resource_id=resource_id,
            client=socket.gethostname(),
        ),
    )
