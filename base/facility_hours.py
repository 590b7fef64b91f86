"""The parts of a facility file that say when clinics work and how patients
book: each department's working week (given to every provider and room of it
by `edflow facility load`), its rooms, and the booking details published with
free time (`$bulk-publish`)."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import msgspec

from base.input_bounds import text_problem

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_BOOKING_TEXT = 200


class Hours(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Working hours on some weekdays, local to the facility: "08:00" to "16:00"."""

    days: list[str]
    start: str
    end: str


class Booking(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How a patient who found a free slot books it; every field optional."""

    url: str = ""  # the booking portal; a Slot's deep link is this with ?slot=<Slot id>
    phone: str = ""
    address_lines: list[str] = []
    city: str = ""
    state: str = ""
    postal_code: str = ""


class Room(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A room booked with a provider (an operating room, an exam room)."""

    id: str
    name: str
    department: str


class WorkingWeek(NamedTuple):
    """One provider's (or, kind "room", one room's) schedule as the facility file defines it."""

    provider_id: str  # the provider's id, or the room's
    department: str
    hours: list[tuple[int, time, time]]  # (weekday 0=Mon, start, end)
    slot_lengths: dict[str, int]  # appointment type -> minutes
    kind: Literal["provider", "room"] = "provider"


def clock(text: str) -> time | None:
    try:
        moment = time.fromisoformat(text)
    except ValueError:
        return None
    return moment if len(text) == 5 and moment.tzinfo is None else None


def hours_problem(department: str, hours: list[Hours]) -> str | None:
    where = f"department {department!r} hours"
    for entry in hours:
        start, end = clock(entry.start), clock(entry.end)
        if start is None or end is None:
            return f'{where}: start and end are local times like "08:00"'
        if end <= start:
            return f"{where}: {entry.end} is not after {entry.start}"
        unknown = [d for d in entry.days if d not in WEEKDAYS]
        if unknown or not entry.days:
            return f"{where}: days are some of {', '.join(WEEKDAYS)}, not {unknown or 'none'}"
    return None


def booking_problem(booking: Booking) -> str | None:
    texts = [booking.url, booking.phone, booking.city, booking.state, booking.postal_code, *booking.address_lines]
    for value in texts:
        if problem := text_problem(value):
            return f"booking {value!r} {problem}"
        if len(value) > MAX_BOOKING_TEXT:
            return f"booking {value[:40]!r}... is {len(value)} characters; at most {MAX_BOOKING_TEXT}"
    if booking.url and (urlsplit(booking.url).scheme not in ("https", "http") or not urlsplit(booking.url).netloc):
        return f"booking url {booking.url!r} is not an http(s) address"
    return None


def working_weeks(facility: Any, rooms: bool = False) -> list[WorkingWeek]:
    """The schedule of every provider (and, with `rooms`, every room) of a
    department that has hours: its hours, and slots as long as the
    appointment types booked there.
    `facility` is a `base.facility.Facility` (which imports this module)."""
    weeks = []
    for department in facility.departments:
        if not department.hours:
            continue
        hours = sorted((WEEKDAYS.index(day), clock(h.start), clock(h.end)) for h in department.hours for day in h.days)
        lengths = {k.type: k.minutes for k in facility.appointment_types if k.department == department.id}
        for provider in facility.providers_in(department.id):
            weeks.append(WorkingWeek(provider.id, department.id, hours, lengths))  # type: ignore[arg-type]
        for room in facility.rooms if rooms else ():
            if room.department == department.id:
                weeks.append(WorkingWeek(room.id, department.id, hours, lengths, "room"))  # type: ignore[arg-type]
    return weeks
