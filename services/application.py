"""The write model's application: load -> decide -> save, atomically.

`Hospital` is one eventsourcing Application (one event store, one
notification log) holding every aggregate, so that a command touching several
aggregates is saved in one transaction and the relay follows one ordered log.
Command methods live in the bounded contexts (`services.ed`, `services.access`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, Protocol, TypedDict, TypeVar

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Recording, Transcoder
from eventsourcing.utils import Environment, EnvType

from base.settings import Settings
from events.envelope import event_id_for
from services.audit.chain import ChainWriter
from services.errors import ConcurrentChange, DomainError, IdempotencyKeyReused, NotFound
from services.group_commit import GroupCommit
from services.recording import FlowAggregate, Meta, MsgspecTranscoder
from services.store_env import created_despite_others, store_environment
from services.unit_of_work import OpenUnits, UnitOfWork, collect

ID_NAMESPACE = uuid.UUID("0b7f6d1e-0d5c-4f57-a1a8-7a3c8f0a2d11")
MAX_ATTEMPTS = 5

A = TypeVar("A", bound=FlowAggregate)
Stored = TypeVar("Stored", bound=Aggregate)
P = ParamSpec("P")


class Idempotency(TypedDict, total=False):
    """The keyword arguments that make a command retry-safe: every command
    method takes them (`**idem: Unpack[Idempotency]`) and hands them to `run`.
    The same key with the same request returns the first outcome; with another
    request it is refused (IdempotencyKeyReused)."""

    idempotency_key: str | None
    request: Any  # any msgspec-encodable value; its hash is kept with the receipt
    # Whose key it is: (channel, caller), e.g. ("api", token subject) or
    # ("hl7", configured sender). Keys of different callers never meet.
    idempotency_scope: tuple[str, str]


def derived_id(kind: str, facility_id: str, *key: str) -> uuid.UUID:
    """Aggregate ids are derived from natural keys (visit number, bed code), so
    an HL7 feed or a retry finds the same aggregate without a lookup table."""
    return uuid.uuid5(ID_NAMESPACE, ":".join((kind, facility_id, *key)))


# Commands issued inside the process (tests, command-line tools) without a scope.
LOCAL_SCOPE = ("local", "")


def receipt_id(facility_id: str, scope: tuple[str, str], key: str) -> uuid.UUID:
    """The receipt of `key` sent by `scope` (channel, caller) at a facility.
    The parts are JSON-encoded, not joined, so a caller or key holding ':'
    cannot spell another caller's receipt."""
    channel, caller = scope
    return uuid.uuid5(ID_NAMESPACE, "receipt:" + msgspec.json.encode([facility_id, channel, caller, key]).decode())


def legacy_receipt_id(facility_id: str, key: str) -> uuid.UUID:
    """Where receipts were kept before they were scoped by caller: by facility
    and key alone. Nothing is written there any more; it is only read, so a
    retry of a command first sent before the change still finds its result."""
    return derived_id("receipt", facility_id, key)


class CommandReceipt(Aggregate):
    """The first result of a command sent with an Idempotency-Key."""

    TOPIC = "edflow:CommandReceipt"

    class Created(Aggregate.Created):
        TOPIC = "edflow:CommandReceipt.Created"
        receipt: bytes
        request_hash: str

    def __init__(self, receipt: bytes, request_hash: str):
        self.receipt = receipt
        self.request_hash = request_hash


class Outcome(msgspec.Struct, kw_only=True):
    """What a command returns to its caller."""

    id: str
    events: list[dict[str, Any]]


class CommandMethod(Protocol[P]):
    """A bound Hospital command such as `hospital.assign_bed`: the Meta first,
    then the command's own arguments (P). Every command also accepts the
    Idempotency keywords."""

    __name__: str

    def __call__(self, meta: Meta, /, *args: P.args, **kwargs: P.kwargs) -> Outcome: ...


def call_command(
    command: CommandMethod[P], meta: Meta, idem: Idempotency, /, *args: P.args, **kwargs: P.kwargs
) -> Outcome:
    """`command(meta, *args, **kwargs)`, retry-safe under `idem`. The type
    checker matches the arguments against `command` at each caller; a
    ParamSpec cannot also name the Idempotency keywords every command takes,
    so the call below is the one place they are added unchecked."""
    call: Callable[..., Outcome] = command
    return call(meta, *args, **kwargs, **idem)


class HospitalBase(Application):
    name = "edflow"

    def __init__(self, settings: Settings):
        self.settings = settings
        # Only our settings configure the store: never stray eventsourcing
        # variables from the process environment.
        super().__init__(env=store_environment(settings))
        chain = getattr(self.recorder, "chain", None)
        if isinstance(chain, ChainWriter):
            chain.configure(settings)
        self.group_commit = GroupCommit(self.events.put)
        self.units = OpenUnits()

    def construct_recorder(self) -> Any:
        return created_despite_others(super().construct_recorder)

    def save(
        self, *objs: MutableOrImmutableAggregate[Any] | DomainEventProtocol[Any] | None, **kwargs: Any
    ) -> list[Recording[Any]]:
        """Store pending events in a transaction shared with other threads' saves (`services.group_commit`),
        or keep them for the unit of work open on this thread (`one_transaction`)."""
        if kwargs:  # tracking or recorder options: a transaction of its own
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[Any] = ProcessingEvent()
        collect(processing, objs)
        if (unit := self.units.current) is not None:
            unit.keep(processing)
            return []
        return self._write(processing)

    @contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Every save on this thread inside the block is written in one store
        transaction as the block ends (IntegrityError if any of it conflicts:
        then nothing is written), or not at all if the block raises. Inside
        an open block, a block is a savepoint of it: if it raises, only its
        own saves are dropped, the rest is written as the outer block ends."""
        if (outer := self.units.current) is not None:
            with outer.savepoint():
                yield
            return
        unit = self.units.current = UnitOfWork()
        try:
            yield
        finally:
            self.units.current = None
        if unit.processing.events:
            self._write(unit.processing)

    def _write(self, processing: ProcessingEvent[Any]) -> list[Recording[Any]]:
        recordings = self.group_commit.save(processing)
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_transcoder(self) -> Transcoder:
        return MsgspecTranscoder()

    def load(self, cls: type[A], aggregate_id: uuid.UUID, facility_id: str, what: str) -> A:
        try:
            aggregate: Aggregate = self._get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} not found") from None
        if not isinstance(aggregate, cls) or aggregate.facility_id != facility_id:
            raise NotFound(f"{what} not found")
        return aggregate

    def _get(self, aggregate_id: uuid.UUID) -> Aggregate:
        unit = self.units.current
        kept = unit.get(aggregate_id) if unit is not None else None
        return kept if kept is not None else self.repository.get(aggregate_id)

    def find(self, cls: type[Stored], aggregate_id: uuid.UUID) -> Stored | None:
        try:
            aggregate: Aggregate = self._get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def run(
        self,
        decide: Callable[[], tuple[str, Iterable[Aggregate]]],
        idempotency_key: str | None = None,
        request: Any = None,
        facility_id: str = "",
        idempotency_scope: tuple[str, str] = LOCAL_SCOPE,
    ) -> Outcome:
        """Decide and save. On a concurrent write, decide again against the
        new state: the second decision either succeeds or raises the specific
        domain error (bed taken, visit closed) that names what changed.

        With a key, the first outcome is kept as a receipt of (facility,
        channel, caller, key): a retry by the same caller gets it back, another
        caller using the same key is not affected."""
        if not idempotency_key:
            return self._decide_and_save(decide, None, "")
        request_hash = hashlib.sha256(msgspec.json.encode(request)).hexdigest()
        legacy = self._legacy_receipt(legacy_receipt_id(facility_id, idempotency_key), request_hash)
        if legacy is not None:
            return legacy
        return self._decide_and_save(decide, receipt_id(facility_id, idempotency_scope, idempotency_key), request_hash)

    def _decide_and_save(
        self,
        decide: Callable[[], tuple[str, Iterable[Aggregate]]],
        receipt_id: uuid.UUID | None,
        request_hash: str,
    ) -> Outcome:
        for _ in range(MAX_ATTEMPTS):
            if receipt_id is not None and (earlier := self._receipt(receipt_id, request_hash)) is not None:
                return earlier
            try:
                result_id, aggregates = decide()
            except DomainError:
                # The same request on another connection may have been saved
                # between our receipt check and this decision (its receipt is
                # stored with its events): answer with its result, as a retry.
                if receipt_id is not None and (earlier := self._receipt(receipt_id, request_hash)) is not None:
                    return earlier
                raise
            aggregates = [a for a in aggregates if a is not None]
            outcome = Outcome(id=result_id, events=_describe(aggregates))
            if receipt_id is not None:
                receipt = CommandReceipt._create(
                    CommandReceipt.Created,
                    id=receipt_id,
                    receipt=msgspec.json.encode(outcome),
                    request_hash=request_hash,
                )
                aggregates.append(receipt)
            try:
                self.save(*aggregates)
            except IntegrityError:
                continue
            return outcome
        raise ConcurrentChange("the record kept changing while this command was decided; try again")

    def _receipt(self, receipt_id: uuid.UUID, request_hash: str) -> Outcome | None:
        receipt = self.find(CommandReceipt, receipt_id)
        if receipt is None:
            return None
        if receipt.request_hash != request_hash:
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different request")
        return msgspec.json.decode(receipt.receipt, type=Outcome)

    def _legacy_receipt(self, legacy_id: uuid.UUID, request_hash: str) -> Outcome | None:
        """A receipt kept before receipts were scoped by caller. It does not say
        who sent the key, so it only answers the very request it was kept for
        (a replay); a different request under that key is not refused by it."""
        receipt = self.find(CommandReceipt, legacy_id)
        if receipt is None or receipt.request_hash != request_hash:
            return None
        return msgspec.json.decode(receipt.receipt, type=Outcome)


def _describe(aggregates: list[Aggregate]) -> list[dict[str, Any]]:
    described = []
    for aggregate in aggregates:
        for event in aggregate.pending_events:
            fact = getattr(event, "fact", None)
            if fact is None:
                continue
            described.append(
                {
                    "event_id": str(event_id_for(event.originator_id, event.originator_version)),
                    "type": type(fact).__name__,
                    "aggregate_id": str(event.originator_id),
                    "aggregate_version": event.originator_version,
                }
            )
    return described
