"""One inbound message being applied: who sent it, for which facility, when it
happened, and the Hospital commands it issues (each under its own idempotency
key, so a resent message replays instead of recording twice)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec
from zoneinfo import ZoneInfo

from base.facility import HL7Sender
from base.input_bounds import TimeWindow
from events.envelope import Actor
from services.application import CommandMethod, Idempotency, Outcome, call_command
from services.ed.application import bed_aggregate_id, encounter_id_for
from services.ed.domainmodel import Bed, Encounter
from services.errors import DomainError, EncounterClosed, NotYetArrived
from services.hl7.datatypes import Place, check_text, parse_dtm, place_of, refused_at
from services.hl7.parse import Message
from services.hl7.problems import REQUIRED_MISSING, UNKNOWN_KEY, ContentError, Location, Problem, from_domain
from services.hospital import Hospital
from services.recording import Meta

P = ParamSpec("P")

VISIT = Location("PV1", 19)
VISIT_ERRORS = (EncounterClosed, NotYetArrived)
STEPS = (1, 2, 3)  # the step numbers handlers issue


def key_prefix(sender: str, control_id: str, event: str) -> str:
    """What a message's steps' idempotency keys start with."""
    return f"hl7:{sender}:{control_id}:{event}"


@dataclass(frozen=True)
class FeedOptions:
    """How one interface's messages are read (see MAPPING.md)."""

    default_facility: str = "main"
    facility_field: int = 4  # MSH-4 sending facility, or 6 receiving facility
    bed_template: str = "{point_of_care}-{bed}"
    timezone: str = "America/Chicago"
    processing_ids: frozenset[str] = frozenset({"P"})
    # Who may send, and which facilities each may write; nobody when empty.
    senders: tuple[HL7Sender, ...] = ()
    # When events may have happened (EDFLOW_HISTORY_START, EDFLOW_MAX_FUTURE_SECONDS).
    window: TimeWindow = TimeWindow()


@dataclass
class MessageContext:
    hospital: Hospital
    message: Message
    options: FeedOptions
    sender: str  # the configured sender's name (MSH-3, else MSH-4), never a free peer string
    facility_id: str
    event: str  # message type and trigger, e.g. "ADT^A04"
    meta: Meta = field(init=False)
    notes: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        control_id = self.message.msh.get(10)
        self.tz = ZoneInfo(self.options.timezone)
        self.key_prefix = key_prefix(self.sender, control_id, self.event)
        check_text(self.message)
        self.meta = Meta(
            facility_id=self.facility_id,
            occurred_at=self.occurred_at(),
            actor=Actor(id=f"hl7:{self.sender}", role="interface"),
            correlation_id=f"hl7:{self.sender}:{control_id}",
        )

    def occurred_at(self) -> datetime:
        """EVN-6 (when it happened), else EVN-2 (when recorded), else MSH-7;
        refused when outside the feed's time window."""
        for segment, number in (("EVN", 6), ("EVN", 2), ("MSH", 7)):
            where = Location(segment, number)
            stamp = parse_dtm(self.message.value(segment, number), self.tz, where)
            if stamp is not None:
                with refused_at(where):
                    return self.options.window.check_event(stamp, str(where))
        raise ContentError("no event time: EVN-6, EVN-2 and MSH-7 are all empty", Location("MSH", 7), REQUIRED_MISSING)

    # --- commands -------------------------------------------------------------

    def issue(
        self, step: int, command: CommandMethod[P], where: Location, /, *args: P.args, **kwargs: P.kwargs
    ) -> Outcome:
        """`command(meta, *args, **kwargs)` as step `step` of this message, e.g.
        `ctx.issue(2, ctx.hospital.assign_bed, BED, encounter_id=..., bed_id=...)`.

        Step numbers are fixed per message type, so a replay after a crash
        reuses the same keys even when an earlier step is now skipped. The
        request kept with the receipt is the command's name and its keyword
        arguments, as it always was: a message resent after an upgrade still
        matches the receipt of its first delivery."""
        request = [command.__name__, kwargs] if not args else [command.__name__, list(args), kwargs]
        idem: Idempotency = {
            "idempotency_key": f"{self.key_prefix}:{step}",
            "request": request,
            "idempotency_scope": ("hl7", self.sender),
        }
        try:
            return call_command(command, self.meta, idem, *args, **kwargs)
        except DomainError as error:
            # A closed or not-yet-arrived visit is the visit's fault, whatever field the step reads.
            raise from_domain(error, VISIT if isinstance(error, VISIT_ERRORS) else where) from None

    def note(self, text: str, where: Location | None, code: int = 0, severity: str = "I") -> None:
        self.notes.append(Problem(text, where, code, severity))

    # --- lookups --------------------------------------------------------------

    def visit_number(self) -> str:
        """PV1-19 visit number, else PID-18 account number."""
        number = self.message.value("PV1", 19) or self.message.value("PID", 18)
        if not number:
            raise ContentError("PV1-19 visit number is required", VISIT, REQUIRED_MISSING)
        return number

    def encounter_id(self) -> str:
        return str(encounter_id_for(self.facility_id, self.visit_number()))

    def encounter(self) -> Encounter:
        found = self.hospital.find(Encounter, uuid.UUID(self.encounter_id()))
        if found is None or found.facility_id != self.facility_id:
            raise ContentError(f"visit {self.visit_number()} is not known at {self.facility_id}", VISIT, UNKNOWN_KEY)
        return found

    def has_encounter(self) -> bool:
        return self.hospital.find(Encounter, uuid.UUID(self.encounter_id())) is not None

    def place(self, field_number: int) -> Place:
        return place_of(self.message.first("PV1"), field_number)

    def bed_id(self, field_number: int) -> str | None:
        return self.place(field_number).bed_id(self.options.bed_template)

    def bed_known(self, bed_id: str) -> bool:
        return self.hospital.find(Bed, bed_aggregate_id(self.facility_id, bed_id)) is not None
