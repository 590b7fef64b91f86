"""From one MLLP frame to its acknowledgement.

A message is checked (type, version, processing id), routed on MSH-9, taken
only from a sender the facility file lists and only for the facilities it may
write (`senders.py`), applied through Hospital commands, and answered. The ACK
of every applied or refused message is kept in the event store under (sender,
control id, MSH-9): a resent message gets the same ACK and records nothing new.
A message's events, its steps' receipts and its ACK are written in one store
transaction, and the ACK goes out only after it is durable: an AA is never
lost, and a message is recorded whole or not at all.

Logs name the sender, message type, control id and ACK code; never patient data.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import NamedTuple

from eventsourcing.persistence import IntegrityError

from services.application import CommandReceipt, derived_id, legacy_receipt_id, receipt_id
from services.ed.application import bed_aggregate_id, encounter_id_for
from services.hl7 import adt, siu
from services.hl7.ack import build_ack, wrap_batch
from services.hl7.context import STEPS, FeedOptions, MessageContext, key_prefix
from services.hl7.datatypes import place_of
from services.hl7.parse import Message, Segment, Unparseable, decode_text, parse_message, separators_of, split_segments
from services.hl7.problems import (
    APPLICATION_ERROR,
    REQUIRED_MISSING,
    SEGMENT_SEQUENCE,
    UNSUPPORTED_EVENT,
    UNSUPPORTED_PROCESSING_ID,
    UNSUPPORTED_TYPE,
    UNSUPPORTED_VERSION,
    ContentError,
    Location,
    Problem,
    Rejection,
)
from services.hl7.senders import Peer, identify
from services.hospital import Hospital
from services.store_probe import probe

log = logging.getLogger("edflow.hl7")
Handler = Callable[[MessageContext], None]
ROUTES: dict[str, Mapping[str, Handler]] = {"ADT": adt.ROUTES, "SIU": siu.ROUTES}
VERSION = re.compile(r"^2\.\d+(\.\d+)?$")
MSH9 = Location("MSH", 9)


Item = list[str] | str  # a message's lines, or the name of a segment found outside any message


def frame_items(raw: bytes) -> tuple[list[Segment], list[Item]]:
    """The envelope headers (FHS, BHS) and the messages of a frame, a batch
    or file envelope (FHS/BHS ... BTS/FTS) or messages one after another."""
    headers: list[Segment] = []
    items: list[Item] = []
    for line in split_segments(decode_text(raw)):
        name = line[:3].upper()
        if name in ("FHS", "BHS"):
            headers.append(Segment(line, separators_of(line)))
            items.append("")  # a header closes the message before it
        elif name in ("BTS", "FTS"):
            items.append("")
        elif name == "MSH":
            items.append([line])
        elif items and isinstance(items[-1], list):
            items[-1].append(line)
        elif not items or items[-1] == "":
            items.append(name)
    return headers, [item for item in items if item != ""]


def frame_reply(headers: list[Segment], replies: list[str]) -> bytes:
    """The reply to a frame: one message's ACK, or the batch of its messages' ACKs."""
    if not replies:
        replies = [build_ack(None, "AR", [Problem("the frame holds no HL7 message", None, SEGMENT_SEQUENCE)])]
    if not headers and len(replies) == 1:
        return replies[0].encode()
    return wrap_batch(replies, headers).encode()


class Prepared(NamedTuple):
    """A message routed to its handler, from an identified sender."""

    message: Message
    handler: Handler
    event: str  # e.g. "ADT^A04"
    sender: str
    facility: str
    ack_id: uuid.UUID


def likely_reads(prepared: Prepared, options: FeedOptions) -> list[uuid.UUID]:
    """The aggregates applying the message is likely to read: its ACK, its
    steps' receipts, its visit and the beds PV1 names (`services.store_probe`)."""
    message, _, event, sender, facility, ack_id = prepared
    ids = [ack_id]
    prefix = key_prefix(sender, message.msh.get(10), event)
    for step in STEPS:
        key = f"{prefix}:{step}"
        ids += [receipt_id(facility, ("hl7", sender), key), legacy_receipt_id(facility, key)]
    if visit := message.value("PV1", 19) or message.value("PID", 18):
        ids.append(encounter_id_for(facility, visit))
    for field in (3, 6):
        if bed := place_of(message.first("PV1"), field).bed_id(options.bed_template):
            ids.append(bed_aggregate_id(facility, bed))
    return ids


class Intake:
    def __init__(self, hospital: Hospital, options: FeedOptions | None = None):
        self.hospital = hospital
        self.options = options or FeedOptions()

    # --- frames -------------------------------------------------------------

    def handle_frame(self, raw: bytes, peer: Peer | None = None) -> bytes:
        """One MLLP frame (a message, a batch or a file) -> its reply. `peer` is
        what the connection proved (its client certificate), if anything."""
        peer = peer or Peer()
        headers, items = frame_items(raw)
        return frame_reply(headers, [self.reply(item, peer) for item in items])

    def reply(self, item: Item, peer: Peer) -> str:
        """The ACK of one message of a frame (or AR for stray segments)."""
        prepared = self.prepare(item, peer)
        return prepared if isinstance(prepared, str) else self.apply(prepared)

    def prepare(self, item: Item, peer: Peer) -> Prepared | str:
        """The message read, routed and its sender identified; or its AR."""
        if isinstance(item, str):
            problem = Problem(f"segment {item} appears before any MSH segment", None, SEGMENT_SEQUENCE)
            log.info("hl7 frame rejected: segments before MSH")
            return build_ack(None, "AR", [problem])
        try:
            message = parse_message(item)
        except Unparseable as error:
            return build_ack(None, "AR", [Problem(str(error), None, SEGMENT_SEQUENCE)])
        return self.route(message, peer)

    # --- one message ----------------------------------------------------------

    def handle_message(self, message: Message, peer: Peer | None = None) -> str:
        prepared = self.route(message, peer)
        return prepared if isinstance(prepared, str) else self.apply(prepared)

    def route(self, message: Message, peer: Peer | None = None) -> Prepared | str:
        msh = message.msh
        facility = msh.get(self.options.facility_field) or self.options.default_facility
        try:
            handler, event = self._route(message)
            sender = identify(self.options.senders, msh, facility, self.options.facility_field, peer or Peer()).name
        except Rejection as rejection:
            log.info("hl7 rejected %s/%s control=%s: %s", msh.get(3), msh.get(4), msh.get(10), rejection.problem.code)
            return build_ack(msh, "AR", [rejection.problem])
        ack_id = derived_id("hl7-ack", facility, sender, msh.get(10), event)
        return Prepared(message, handler, event, sender, facility, ack_id)

    def apply(self, prepared: Prepared) -> str:
        """Apply one routed message; its ACK once what it decided is durable."""
        try:
            return self._apply(prepared)
        except Exception as error:  # a bug or a store outage: AR (resend later), logged loudly, not kept
            stack = "".join(traceback.format_tb(error.__traceback__))
            msh = prepared.message.msh
            log.error("hl7 %s %s control=%s failed with %s\n%s", prepared.sender, prepared.event, msh.get(10),
                      type(error).__name__, stack)  # fmt: skip
            problem = Problem("edflow could not process this message now; resend it later", None, APPLICATION_ERROR)
            return build_ack(msh, "AR", [problem])

    def _apply(self, prepared: Prepared) -> str:
        alone = self.hospital.units.current is None  # else a bulk import probed its chunk
        try:
            with self.hospital.one_transaction():  # the steps' events and receipts, and the ACK, together
                if alone:
                    probe(self.hospital, likely_reads(prepared, self.options))
                return self._decide(prepared)
        except IntegrityError:
            # Another connection wrote first to an aggregate this message
            # touches (or sent this very message): nothing of it was written.
            # Applied again step by step, each step decides against the new state.
            return self._decide(prepared)

    def _decide(self, prepared: Prepared) -> str:
        message, handler, event, sender, facility, ack_id = prepared
        msh = message.msh
        stored = self.hospital.find(CommandReceipt, ack_id)
        if stored is not None:
            log.info("hl7 repeat %s %s control=%s: same ACK", sender, event, msh.get(10))
            return stored.receipt.decode()
        try:
            context = MessageContext(self.hospital, message, self.options, sender, facility, event)
            handler(context)
            code, problems = "AA", context.notes
        except ContentError as error:
            code, problems = "AE", [error.problem]
        log.info("hl7 %s %s control=%s -> %s %s", sender, event, msh.get(10), code, [p.code for p in problems])
        return self._keep(ack_id, build_ack(msh, code, problems), message)

    def _route(self, message: Message) -> tuple[Handler, str]:
        msh = message.msh
        kind, trigger = msh.get(9, 1).upper(), msh.get(9, 2).upper()
        if not kind or not trigger:
            raise Rejection("MSH-9 message type (type^trigger) is required", MSH9, REQUIRED_MISSING)
        if not msh.get(10):
            raise Rejection("MSH-10 message control id is required", Location("MSH", 10), REQUIRED_MISSING)
        processing = msh.get(11).upper()
        if processing not in self.options.processing_ids:
            allowed = "/".join(sorted(self.options.processing_ids))
            raise Rejection(f"MSH-11 processing id {processing!r} is not accepted here ({allowed})",
                            Location("MSH", 11), UNSUPPORTED_PROCESSING_ID)  # fmt: skip
        version = msh.get(12)
        if not VERSION.match(version):
            raise Rejection(f"MSH-12 version {version!r} is not supported (HL7 v2.x)", Location("MSH", 12),
                            UNSUPPORTED_VERSION)  # fmt: skip
        if kind not in ROUTES:
            raise Rejection(f"message type {kind} is not supported (ADT, SIU)", MSH9, UNSUPPORTED_TYPE)
        handler = ROUTES[kind].get(trigger)
        if handler is None:
            supported = ", ".join(sorted(ROUTES[kind]))
            raise Rejection(f"{kind}^{trigger} is not supported ({supported})", MSH9, UNSUPPORTED_EVENT)
        return handler, f"{kind}^{trigger}"

    def _keep(self, ack_id: uuid.UUID, ack: str, message: Message) -> str:
        digest = hashlib.sha256("\r".join("|".join(s.fields) for s in message.segments).encode()).hexdigest()
        receipt = CommandReceipt._create(CommandReceipt.Created, id=ack_id, receipt=ack.encode(), request_hash=digest)
        try:
            self.hospital.save(receipt)
        except IntegrityError:
            # The same message on two connections at once: both answer with the first ACK.
            first = self.hospital.find(CommandReceipt, ack_id)
            if first is None:  # the save failed for another reason
                raise
            return first.receipt.decode()
        return ack
