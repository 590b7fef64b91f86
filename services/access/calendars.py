"""Provider and room calendars: one aggregate per resource per UTC day.

Booking saves the appointment and every calendar day it touches in one
transaction, so two bookings racing for the same time cannot both win: the
loser's save fails on the day's version and its retry sees the conflict.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from events.catalogue import Fact, ProviderTimeReleased, ProviderTimeReserved, RoomTimeReleased, RoomTimeReserved
from services.errors import SlotAlreadyBooked
from services.recording import FlowAggregate, Meta


class CalendarDay(FlowAggregate):
    """Reserved intervals of one resource on one day, by appointment id."""

    # Annotated for the type checker only: at run time eventsourcing would
    # make annotated class attributes __init__ fields.
    if TYPE_CHECKING:
        RESERVED: type[ProviderTimeReserved] | type[RoomTimeReserved]
        RELEASED: type[ProviderTimeReleased] | type[RoomTimeReleased]
    else:
        RESERVED = RELEASED = Fact
    WHAT = "resource"

    @classmethod
    def open_with(cls, aggregate_id, fact: Fact, meta: Meta) -> CalendarDay:
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def reserve(self, appointment_id: str, start: datetime, end: datetime, meta: Meta) -> None:
        self.check_free(appointment_id, start, end)
        self._record(self.RESERVED(appointment_id=appointment_id, start=start, end=end), meta)

    def release(self, appointment_id: str, meta: Meta) -> None:
        if appointment_id in self.reserved:
            self._record(self.RELEASED(appointment_id=appointment_id), meta)

    def check_free(self, appointment_id: str, start: datetime, end: datetime) -> None:
        for other, (s, e) in self.reserved.items():
            if other != appointment_id and s < end and start < e:
                raise SlotAlreadyBooked(
                    f"{self.WHAT} already has an appointment from {s.isoformat()} to {e.isoformat()}",
                    conflicting_appointment=other,
                    resource=self.WHAT,
                )

    def _apply(self, fact: Fact, meta: Meta) -> None:
        if not hasattr(self, "reserved"):
            self.reserved: dict[str, tuple[datetime, datetime]] = {}
        if isinstance(fact, self.RESERVED):
            self.reserved[fact.appointment_id] = (fact.start, fact.end)
        elif isinstance(fact, self.RELEASED):
            self.reserved.pop(fact.appointment_id, None)


class ProviderDay(CalendarDay):
    TOPIC = "edflow:ProviderDay"
    RESERVED, RELEASED, WHAT = ProviderTimeReserved, ProviderTimeReleased, "provider"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:ProviderDay.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:ProviderDay.Recorded"


class RoomDay(CalendarDay):
    TOPIC = "edflow:RoomDay"
    RESERVED, RELEASED, WHAT = RoomTimeReserved, RoomTimeReleased, "room"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:RoomDay.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:RoomDay.Recorded"
