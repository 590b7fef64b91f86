"""A facility's configuration (units, beds, providers, scheduling) read from
TOML and checked before anything is registered.

Every problem is reported as one line that names the file and the place in
it, because the person reading it is editing that file by hand.
"""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from base.facility_hours import Booking, Hours, Room, booking_problem, hours_problem
from base.inpatient_units import InpatientUnit, units_problem
from base.input_bounds import text_problem
from events.catalogue import AppointmentType, BedType

BED_TYPES: tuple[str, ...] = typing.get_args(BedType)
APPOINTMENT_TYPES: tuple[str, ...] = typing.get_args(AppointmentType)
ED_DEPARTMENT = "emergency"
# The same bounds the HTTP API puts on ids and names (services/api/schemas.py).
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100


class FacilityError(ValueError):
    """The facility file cannot be used; the message says where and why."""


class BedSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    bed_type: str | None = None
    label: str | None = None


class Unit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    name: str
    bed_type: str
    beds: list[str | BedSpec]


class Department(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    name: str
    hours: list[Hours] = []  # the working week of each of its providers


class AppointmentKind(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    type: str
    department: str
    minutes: int


class Provider(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    name: str
    department: str


class HL7Sender(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A system allowed to send HL7 v2 over MLLP: known by its sending
    application (MSH-3) and facility (MSH-4), optionally by the client
    certificate it connects with, and allowed to write only `writes`."""

    application: str  # MSH-3; may be empty when MSH-4 alone names the sender
    facility: str  # MSH-4 (its first component); may be empty when MSH-3 names the sender
    writes: list[str]  # facility ids its messages may be recorded into
    certificate_subject: str = ""  # e.g. "CN=adt.example.org,O=Example Health" (any order)
    certificate_sha256: str = ""  # SHA-256 of the DER certificate, hex (colons allowed)

    @property
    def name(self) -> str:
        """How edflow names the sender: actor `hl7:<name>`, and its keys."""
        return self.application or self.facility

    def subject(self) -> frozenset[tuple[str, str]]:
        """The configured certificate subject as (attribute, value) pairs."""
        return subject_pairs(self.certificate_subject)

    def fingerprint(self) -> str:
        return self.certificate_sha256.replace(":", "").strip().lower()


def subject_pairs(text: str) -> frozenset[tuple[str, str]]:
    """ "CN=a, O=b" -> {("CN", "a"), ("O", "b")}; attribute names upper-cased."""
    pairs = set()
    for part in text.split(","):
        name, _, value = part.partition("=")
        if part.strip():
            pairs.add((name.strip().upper(), value.strip()))
    return frozenset(pairs)


class Bed(msgspec.Struct, frozen=True):
    """One bed as the write model registers it."""

    bed_id: str
    unit: str
    bed_type: str
    label: str


class Facility(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: str
    name: str
    timezone: str
    inpatient_beds: int
    ed_ventilators: int
    units: list[Unit]
    inpatient_units: list[InpatientUnit] = []  # where boarders go (base.inpatient_units)
    departments: list[Department] = []
    appointment_types: list[AppointmentKind] = []
    providers: list[Provider] = []
    rooms: list[Room] = []
    hl7_senders: list[HL7Sender] = []
    booking: Booking = msgspec.field(default_factory=Booking)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def beds(self) -> list[Bed]:
        beds = []
        for unit in self.units:
            for entry in unit.beds:
                spec = BedSpec(id=entry) if isinstance(entry, str) else entry
                label = spec.label or f"{unit.name} {spec.id}"
                beds.append(Bed(spec.id, unit.id, spec.bed_type or unit.bed_type, label))
        return beds

    def providers_in(self, department: str) -> list[Provider]:
        return [p for p in self.providers if p.department == department]

    def appointment_kind(self, appointment_type: str) -> AppointmentKind | None:
        return next((k for k in self.appointment_types if k.type == appointment_type), None)


def load_facility(path: Path | str) -> Facility:
    """Read and check a facility file; raises FacilityError with one line."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FacilityError(f"{path}: no such file") from None
    except OSError as error:
        raise FacilityError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise FacilityError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise FacilityError(f"{path}: not valid TOML: {error}") from None
    return parse_facility(raw, str(path))


def parse_facility(raw: dict, source: str = "facility") -> Facility:
    try:
        facility = msgspec.convert(raw, Facility)
    except msgspec.ValidationError as error:
        raise FacilityError(f"{source}: {error}".replace("`$.", "`").replace("`$`", "the top level")) from None
    problem = _first_problem(facility)
    if problem:
        raise FacilityError(f"{source}: {problem}")
    return facility


def _first_problem(facility: Facility) -> str | None:
    """The first inconsistency, in file order; None when the facility is usable."""
    checks = (_text, _identity, _beds, _inpatient, _scheduling, _senders)
    for check in checks:
        if problem := check(facility):
            return problem
    return None


def _labelled_text(facility: Facility) -> list[tuple[str, str, int]]:
    """(where, value, longest allowed) of every id and name in the file, in file order."""
    found = [("id", facility.id, MAX_ID_LENGTH), ("name", facility.name, MAX_NAME_LENGTH)]
    for unit in facility.units:
        found += [("unit id", unit.id, MAX_ID_LENGTH), (f"unit {unit.id!r} name", unit.name, MAX_NAME_LENGTH)]
        for entry in unit.beds:
            spec = BedSpec(id=entry) if isinstance(entry, str) else entry
            found.append((f"unit {unit.id!r} bed id", spec.id, MAX_ID_LENGTH))
            if spec.label is not None:
                found.append((f"bed {spec.id!r} label", spec.label, MAX_NAME_LENGTH))
    for department in facility.departments:
        found += [("department id", department.id, MAX_ID_LENGTH)]
        found += [(f"department {department.id!r} name", department.name, MAX_NAME_LENGTH)]
    for provider in facility.providers:
        found += [("provider id", provider.id, MAX_ID_LENGTH)]
        found += [(f"provider {provider.id!r} name", provider.name, MAX_NAME_LENGTH)]
    for room in facility.rooms:
        found += [("room id", room.id, MAX_ID_LENGTH), (f"room {room.id!r} name", room.name, MAX_NAME_LENGTH)]
    return found


def _text(facility: Facility) -> str | None:
    """Ids and names: no control, bidirectional or invisible characters, and
    no longer than the API accepts (base.input_bounds)."""
    for where, value, longest in _labelled_text(facility):
        if problem := text_problem(value):
            return f"{where} {value!r} {problem}"
        if len(value) > longest:
            return f"{where} {value[:40]!r}... is {len(value)} characters; at most {longest}"
    return None


def _identity(facility: Facility) -> str | None:
    if not facility.id.strip():
        return "id must not be empty"
    try:
        ZoneInfo(facility.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"timezone {facility.timezone!r} is not an IANA time zone (e.g. America/Chicago)"
    if facility.inpatient_beds < 1:
        return "inpatient_beds must be at least 1 (NEDOCS divides by it)"
    if facility.ed_ventilators < 0:
        return "ed_ventilators must not be negative"
    if not facility.units:
        return "units: at least one ED unit with beds is needed"
    return None


def _beds(facility: Facility) -> str | None:
    unit_ids: set[str] = set()
    for unit in facility.units:
        if unit.id in unit_ids:
            return f"unit {unit.id!r} is defined twice"
        unit_ids.add(unit.id)
        if not unit.beds:
            return f"unit {unit.id!r} has no beds"
    seen: dict[str, str] = {}
    for bed in facility.beds():
        if not bed.bed_id.strip():
            return f"unit {bed.unit!r} has a bed with an empty id"
        if bed.bed_id in seen:
            return f"duplicate bed id {bed.bed_id!r} (in units {seen[bed.bed_id]!r} and {bed.unit!r})"
        seen[bed.bed_id] = bed.unit
        if bed.bed_type not in BED_TYPES:
            return f"bed {bed.bed_id!r} has unknown bed type {bed.bed_type!r}; use one of {', '.join(BED_TYPES)}"
    return None


def _inpatient(facility: Facility) -> str | None:
    return units_problem(facility.inpatient_units, facility.inpatient_beds, {u.id for u in facility.units})


def _scheduling(facility: Facility) -> str | None:
    departments = {d.id for d in facility.departments}
    for kind in facility.appointment_types:
        if kind.type not in APPOINTMENT_TYPES:
            return f"unknown appointment type {kind.type!r}; use one of {', '.join(APPOINTMENT_TYPES)}"
        if kind.department not in departments:
            return f"appointment type {kind.type!r} names unknown department {kind.department!r}"
        if not 5 <= kind.minutes <= 24 * 60:
            return f"appointment type {kind.type!r}: minutes must be 5 to 1440"
    for department in facility.departments:
        if problem := hours_problem(department.id, department.hours):
            return problem
    provider_ids: set[str] = set()
    for provider in facility.providers:
        if provider.id in provider_ids:
            return f"duplicate provider id {provider.id!r}"
        provider_ids.add(provider.id)
        if provider.department not in departments:
            return f"provider {provider.id!r} names unknown department {provider.department!r}"
    room_ids: set[str] = set()
    for room in facility.rooms:
        if room.id in room_ids:
            return f"duplicate room id {room.id!r}"
        room_ids.add(room.id)
        if room.department not in departments:
            return f"room {room.id!r} names unknown department {room.department!r}"
    return booking_problem(facility.booking)


def _senders(facility: Facility) -> str | None:
    seen: set[tuple[str, str]] = set()
    for sender in facility.hl7_senders:
        where = f"hl7_senders entry {sender.application!r}/{sender.facility!r}"
        if not sender.name.strip():
            return "hl7_senders: each entry needs an application (MSH-3) or a facility (MSH-4)"
        if ":" in sender.application or ":" in sender.facility:
            return f"{where}: application and facility must not contain ':'"
        if (sender.application, sender.facility) in seen:
            return f"{where} is listed twice"
        seen.add((sender.application, sender.facility))
        if not sender.writes or not all(f.strip() for f in sender.writes):
            return f"{where}: writes must list the facility ids it may write"
        if sender.certificate_sha256 and not re.fullmatch(r"[0-9a-f]{64}", sender.fingerprint()):
            return f"{where}: certificate_sha256 must be 64 hex digits (the SHA-256 of the DER certificate)"
        if sender.certificate_subject and not all(n and v for n, v in sender.subject()):
            return f'{where}: certificate_subject must read like "CN=adt.example.org,O=Example Health"'
    return None
