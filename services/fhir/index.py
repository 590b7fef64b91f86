"""What FHIR searches look up instead of loading every aggregate: per
facility, the visits, appointments, beds and schedules recorded there, in
the order they were created, with the values the searches filter on.

Kept in memory by each process and caught up from the store's log (through
`base.store_log`) before every search, like the work-queue reader: the store
is the source of truth, so a search sees everything committed before it
began, whichever process recorded it. The values are computed as the
resources compute them (the same status fold for a visit, the folded
aggregate for an appointment), so answering from here gives what building
and filtering every resource gave. A search then builds only the page of
resources it returns.

Visits and appointments are kept in a `Table` per facility (services/fhir/
table.py): by status (and, for appointments, practitioner and identifier)
and on sorted start and end timelines, each entry moved as later events
change it, so a search looks up its matches rather than judging every row.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.utils import get_topic

from base.store_log import records
from events.catalogue import AppointmentBooked
from services.access.availability import ResourceSchedule
from services.access.domainmodel import Appointment
from services.ed.domainmodel import Bed, Encounter
from services.fhir.appointment import FHIR_STATUS
from services.fhir.bundle import UNUSABLE, skipped
from services.fhir.encounter import status_after
from services.fhir.table import Period, Table

ENDED = ("finished", "entered-in-error")  # statuses that close an Encounter's period
# Built visits and appointments kept per process: a resource depends only on its
# own aggregate's events, so (aggregate, last change, identity shown) names it.
BUILT_KEPT = 20_000


class VisitKeys(NamedTuple):
    position: int  # where the visit was created in the store's log: result order and paging cursor
    id: UUID
    status: str  # the FHIR Encounter status
    start: datetime
    changed_at: datetime  # when the status last changed

    @property
    def end(self) -> datetime | None:
        return self.changed_at if self.status in ENDED else None


class AppointmentKeys(NamedTuple):
    position: int
    id: UUID
    appointment_id: str
    status: str  # the FHIR Appointment status
    start: datetime
    provider_id: str


def _visit_tokens(visit: VisitKeys) -> list[tuple[str, str]]:
    return [("status", visit.status)]


def _visit_period(visit: VisitKeys) -> Period:
    return visit.start, visit.end


def _appointment_tokens(appointment: AppointmentKeys) -> list[tuple[str, str]]:
    return [("status", appointment.status), ("practitioner", appointment.provider_id),
            ("identifier", appointment.appointment_id)]  # fmt: skip


def _appointment_period(appointment: AppointmentKeys) -> Period:
    return appointment.start, appointment.start  # FHIR searches an Appointment's `date` on its start


def visit_table() -> Table[VisitKeys]:
    return Table(_visit_tokens, _visit_period)


def appointment_table() -> Table[AppointmentKeys]:
    return Table(_appointment_tokens, _appointment_period)


T = TypeVar("T")


class Listed(NamedTuple):
    position: int
    id: UUID


TOPICS = [get_topic(c) for c in (Encounter.Created, Encounter.Recorded, Appointment.Created, Appointment.Recorded,
                                 Bed.Created, ResourceSchedule.Created)]  # fmt: skip


class SearchIndex:
    def __init__(self, app: Any):
        self.app = app
        self.position = 0
        self._visits: dict[str, Table[VisitKeys]] = {}
        self._appointments: dict[str, Table[AppointmentKeys]] = {}
        self._listed: dict[tuple[str, str], list[Listed]] = {}
        self._facility_of: dict[UUID, str] = {}
        self._folded: dict[UUID, Appointment] = {}
        self._changed: dict[UUID, int] = {}  # last log position that changed each visit or appointment
        self._built: OrderedDict[tuple[UUID, int, bool], dict] = OrderedDict()
        self._lock = threading.Lock()

    def built(self, aggregate_id: UUID, who: bool, build: Callable[[], dict]) -> dict:
        """The resource of a visit or appointment as of its last change: built
        once, then served again until the aggregate changes (least recently
        used ones are forgotten past BUILT_KEPT)."""
        key = (aggregate_id, self._changed.get(aggregate_id, 0), who)
        with self._lock:
            resource = self._built.get(key)
            if resource is not None:
                self._built.move_to_end(key)
                return resource
        resource = build()
        with self._lock:
            self._built[key] = resource
            while len(self._built) > BUILT_KEPT:
                self._built.popitem(last=False)
        return resource

    def catch_up(self) -> int:
        """Fold what was recorded since the last call; returns the position reached."""
        with self._lock:
            # Up to the end of the log, not just the last event of ours: the
            # access records every search writes are then never read again.
            latest = self.app.recorder.max_notification_id() or 0
            if latest > self.position:
                for notification, event in records(self.app, self.position, topics=TOPICS, stop=latest):
                    try:
                        self._fold(notification.id, event)
                    except UNUSABLE as error:  # one record never stops every search
                        skipped("index", notification.id, error)
                self.position = latest
            return self.position

    def _fold(self, position: int, event: Any) -> None:
        aggregate_id: UUID = event.originator_id
        self._changed[aggregate_id] = position
        if isinstance(event, (Bed.Created, ResourceSchedule.Created)):
            kind = "Bed" if isinstance(event, Bed.Created) else "ResourceSchedule"
            self._listed.setdefault((event.meta.facility_id, kind), []).append(Listed(position, aggregate_id))
        elif isinstance(event, Encounter.Created):
            at = event.meta.occurred_at
            visit = VisitKeys(position, aggregate_id, status_after(event.fact, ""), at, at)
            self._facility_of[aggregate_id] = event.meta.facility_id
            self._visits.setdefault(event.meta.facility_id, visit_table()).put(visit)
        elif isinstance(event, Encounter.Recorded):
            visits = self._visits[self._facility_of[aggregate_id]]
            visit = visits.rows[aggregate_id]
            status = status_after(event.fact, visit.status)
            if status != visit.status:
                visits.put(visit._replace(status=status, changed_at=event.meta.occurred_at))
        elif isinstance(event, (Appointment.Created, Appointment.Recorded)):
            appointment = event.mutate(self._folded.get(aggregate_id))
            assert isinstance(appointment, Appointment), "an appointment's events fold into an appointment"
            self._folded[aggregate_id] = appointment
            found = self._appointments.setdefault(appointment.facility_id, appointment_table())
            keys = found.rows.get(aggregate_id)
            if keys is None:
                assert isinstance(event.fact, AppointmentBooked), "an appointment is created by its booking"
                booked_as = event.fact.appointment_id or ""  # set by the command that booked it
                keys = AppointmentKeys(position, aggregate_id, booked_as, "", appointment.start, "")
            found.put(AppointmentKeys(
                keys.position,
                aggregate_id,
                keys.appointment_id,
                FHIR_STATUS.get(appointment.status, appointment.status),
                appointment.start,
                appointment.provider_id,
            ))  # fmt: skip

    def visits(self, facility_id: str, select: Callable[[Table[VisitKeys]], T]) -> tuple[T, Table[VisitKeys]]:
        """What `select` finds in the facility's visits (read while no fold runs), and the table."""
        with self._lock:
            table = self._visits.get(facility_id) or visit_table()
            return select(table), table

    def appointments(
        self, facility_id: str, select: Callable[[Table[AppointmentKeys]], T]
    ) -> tuple[T, Table[AppointmentKeys]]:
        with self._lock:
            table = self._appointments.get(facility_id) or appointment_table()
            return select(table), table

    def listed(self, facility_id: str, kind: type[Appointment | Bed | ResourceSchedule]) -> list[Listed]:
        """Every aggregate of one kind created at the facility, oldest first."""
        with self._lock:
            if kind is Appointment:
                table = self._appointments.get(facility_id) or appointment_table()
                return [Listed(p, table.at[p].id) for p in table.order]
            return list(self._listed.get((facility_id, kind.__name__), []))


_index_lock = threading.Lock()


def search_index(request: Any) -> SearchIndex:
    """This process's search index over the app's store, caught up now."""
    state = request.app.state
    with _index_lock:
        if getattr(state, "fhir_index", None) is None:
            state.fhir_index = SearchIndex(state.hospital)
    index: SearchIndex = state.fhir_index
    index.catch_up()
    return index
