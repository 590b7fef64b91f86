"""Access audit: every read of a patient's identifiable data is recorded —
who, what, when, from where — in the event store itself, so the log is
append-only and covered by the same hash chain as the events.

A search or list is recorded twice: its query before anything is built
(action "read"), then the records it returned before they are sent (action
"disclosed", at most `DISCLOSED_PER_ENTRY` ids an entry, as many entries as
needed, saved together). A board subscription is recorded when it starts
(action "watch") and when it ends (action "watch-ended", with both times).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import msgspec
from eventsourcing.domain import Aggregate

from base.store_log import records

ACCESS_TOPIC = "edflow:AccessRecord.Created"


DISCLOSED_PER_ENTRY = 200  # ids in one access entry; a longer result takes several


class Watch(msgspec.Struct, frozen=True, kw_only=True):
    """One board subscription: `id` pairs its start and end entries."""

    id: str
    unit: str | None = None
    view: str  # what the role is shown: "full board" or the kinds it may see
    started_at: datetime
    ended_at: datetime | None = None


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
    # Absent (and so not stored) unless set: what a search or list returned,
    # as `Type/id` references; and the board subscription an entry is about.
    disclosed: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET
    watch: Watch | msgspec.UnsetType = msgspec.UNSET

    def refs(self) -> tuple[str, ...]:
        """The records this entry disclosed (none for a single read)."""
        return self.disclosed if isinstance(self.disclosed, tuple) else ()

    def concerns(self, record_id: str) -> bool:
        """Whether this entry read or disclosed the record (`Encounter/<id>` or the bare id)."""
        if self.resource_id == record_id:
            return True
        return any(ref == record_id or ref.partition("/")[2] == record_id for ref in self.refs())


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
        if resource_id and not entry.concerns(resource_id):
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


def record_disclosed(
    app, principal, facility_id: str, resource: str, query: str, client: str | None, refs: Sequence[str]
) -> None:
    """The records a search or list returned, saved (in one transaction)
    before they are sent; nothing when it returned none."""
    at, refs = datetime.now(UTC), list(dict.fromkeys(refs))
    entries = [
        AccessEntry(
            at=at,
            facility_id=facility_id,
            actor_id=principal.subject,
            role=principal.role,
            action="disclosed",
            resource=resource,
            resource_id=query,
            client=client or "",
            disclosed=tuple(refs[i : i + DISCLOSED_PER_ENTRY]),
        )
        for i in range(0, len(refs), DISCLOSED_PER_ENTRY)
    ]
    if entries:
        app.save(*(AccessRecord._create(AccessRecord.Created, id=uuid.uuid4(), access=e) for e in entries))


def record_watch(app, actor_id: str, role: str, facility_id: str, client: str, watch: Watch) -> None:
    """A board subscription: "watch" when it starts, "watch-ended" (with both
    times) when it ends, so a server that dies mid-watch still leaves the start."""
    record_access(
        app,
        AccessEntry(
            at=watch.ended_at or watch.started_at,
            facility_id=facility_id,
            actor_id=actor_id,
            role=role,
            action="watch" if watch.ended_at is None else "watch-ended",
            resource="board",
            resource_id=watch.unit or "*",
            client=client,
            watch=watch,
        ),
    )


class Caller(NamedTuple):
    subject: str
    role: str


def record_cli_read(app, facility_id: str, resource: str, resource_id: str, refs: Sequence[str] = ()) -> None:
    """A read through the `edflow` command line: the operating-system user is
    the actor; `refs` are the records it wrote out (a report's appointments)."""
    import getpass
    import socket

    caller, host = Caller(f"os:{getpass.getuser()}", "auditor"), socket.gethostname()
    record_access(
        app,
        AccessEntry(
            at=datetime.now(UTC),
            facility_id=facility_id,
            actor_id=caller.subject,
            role=caller.role,
            action="read",
            resource=resource,
            resource_id=resource_id,
            client=host,
        ),
    )
    record_disclosed(app, caller, facility_id, resource, resource_id, host, refs)
