"""Patients waiting for an earlier slot, with a provider or a department.

One `Waitlist` per scope ("provider:<id>" or "department:<code>"), in join
order. When a slot frees, the application asks each affected waitlist for its
first eligible entry and records the offer there. An offer expires at
`expires_at`; there is no clock in here: whoever acts next (the offers
process, another offer, an acceptance) passes the event time in, and expired
offers are recorded as such before anything else is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from events.catalogue import (
    Fact,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistOfferAccepted,
    WaitlistOfferDeclined,
    WaitlistOfferExpired,
    WaitlistSlotOffered,
)
from services.errors import AlreadyExists, Invalid, InvalidTransition, NotFound, OfferExpired
from services.recording import FlowAggregate, Meta


@dataclass
class Waiting:
    joined: WaitlistJoined
    joined_at: datetime
    offer: WaitlistSlotOffered | None = None
    # (provider, start) of slots this patient already let pass: never offered twice.
    passed: set[tuple[str, datetime]] = field(default_factory=set)

    def eligible_for(self, provider_id: str, start: datetime, end: datetime, now: datetime) -> bool:
        entry = self.joined
        return (
            self.offer is None
            and start > now
            and (provider_id, start) not in self.passed
            and entry.provider_id in (None, provider_id)
            and (end - start).total_seconds() >= entry.duration_minutes * 60
            and (entry.before is None or start < entry.before)
        )


def waitlist_scope(provider_id: str | None, department: str) -> str:
    return f"provider:{provider_id}" if provider_id else f"department:{department}"


class Waitlist(FlowAggregate):
    TOPIC = "edflow:Waitlist"

    class Created(FlowAggregate.Created):
        TOPIC = "edflow:Waitlist.Created"

    class Recorded(FlowAggregate.Recorded):
        TOPIC = "edflow:Waitlist.Recorded"

    @classmethod
    def start_with(cls, aggregate_id, fact: WaitlistJoined, meta: Meta) -> Waitlist:
        _check_entry(fact)
        return cls._create(cls.Created, id=aggregate_id, fact=fact, meta=meta)

    def join(self, fact: WaitlistJoined, meta: Meta) -> None:
        _check_entry(fact)
        if fact.entry_id in self.entries:
            raise AlreadyExists(f"waitlist entry {fact.entry_id} already exists", entry_id=fact.entry_id)
        self._record(fact, meta)

    def leave(self, entry_id: str, reason: str, meta: Meta) -> None:
        self.entry(entry_id)
        self._record(WaitlistLeft(entry_id=entry_id, reason=reason), meta)

    def entry(self, entry_id: str) -> Waiting:
        if entry_id not in self.entries:
            raise NotFound(f"waitlist entry {entry_id} not found")
        return self.entries[entry_id]

    def expire_offers(self, meta: Meta) -> list[WaitlistSlotOffered]:
        """Record every offer whose time ran out by the event time; returns them."""
        expired = [w.offer for w in self.entries.values() if w.offer and w.offer.expires_at <= meta.occurred_at]
        for offer in expired:
            self._record(WaitlistOfferExpired(entry_id=offer.entry_id), meta)
        return expired

    def first_eligible(self, provider_id: str, start: datetime, end: datetime, now: datetime) -> Waiting | None:
        return next((w for w in self.entries.values() if w.eligible_for(provider_id, start, end, now)), None)

    def offer(
        self, entry_id: str, provider_id: str, start: datetime, end: datetime, expires_at: datetime, meta: Meta
    ) -> None:
        waiting = self.entry(entry_id)
        if not waiting.eligible_for(provider_id, start, end, meta.occurred_at):
            raise InvalidTransition(f"waitlist entry {entry_id} cannot be offered this slot")
        self._record(
            WaitlistSlotOffered(
                entry_id=entry_id, provider_id=provider_id, start=start, end=end, expires_at=expires_at
            ),
            meta,
        )

    def accept(self, entry_id: str, appointment_id: str, meta: Meta) -> WaitlistSlotOffered:
        offer = self._pending(entry_id, meta)
        self._record(WaitlistOfferAccepted(entry_id=entry_id, appointment_id=appointment_id), meta)
        return offer

    def decline(self, entry_id: str, meta: Meta) -> WaitlistSlotOffered:
        offer = self._pending(entry_id, meta)
        self._record(WaitlistOfferDeclined(entry_id=entry_id), meta)
        return offer

    def _pending(self, entry_id: str, meta: Meta) -> WaitlistSlotOffered:
        offer = self.entry(entry_id).offer
        if offer is None:
            raise InvalidTransition(f"waitlist entry {entry_id} has no pending offer")
        if offer.expires_at <= meta.occurred_at:
            raise OfferExpired(f"the offer to {entry_id} expired at {offer.expires_at.isoformat()}", entry_id=entry_id)
        return offer

    def _apply(self, fact: Fact, meta: Meta) -> None:
        if not hasattr(self, "entries"):
            self.entries: dict[str, Waiting] = {}
        match fact:
            case WaitlistJoined():
                if not hasattr(self, "scope"):
                    self.scope = waitlist_scope(fact.provider_id, fact.department)
                self.entries[fact.entry_id] = Waiting(fact, meta.occurred_at)
            case WaitlistLeft() | WaitlistOfferAccepted():
                self.entries.pop(fact.entry_id, None)
            case WaitlistSlotOffered():
                self.entries[fact.entry_id].offer = fact
            case WaitlistOfferDeclined() | WaitlistOfferExpired():
                waiting = self.entries[fact.entry_id]
                if waiting.offer is not None:
                    waiting.passed.add((waiting.offer.provider_id, waiting.offer.start))
                waiting.offer = None


def _check_entry(fact: WaitlistJoined) -> None:
    if not 5 <= fact.duration_minutes <= 24 * 60:
        raise Invalid("duration_minutes is 5 to 1440", field="duration_minutes")
    if fact.before is not None and fact.before.tzinfo is None:
        raise Invalid("before needs a time zone offset", field="before")
