"""Waitlist commands: join, leave, offers (made, accepted, declined, expired).

Every decision here threads one `loaded` dict (aggregate id -> aggregate) so
that a command touching a waitlist, an appointment and calendars changes each
object once and saves them all in one transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Unpack

from base.input_bounds import check_birth_date
from events.catalogue import AppointmentBooked, AppointmentType, Contact, Person, WaitlistJoined
from services.access.calendars import ProviderDay
from services.access.ids import days_touched, provider_day_id
from services.access.waitlist import Waiting, Waitlist, waitlist_scope
from services.application import HospitalBase, Idempotency, Outcome, derived_id
from services.bounds import refused_as_invalid
from services.errors import Invalid, NotFound, SlotAlreadyBooked
from services.recording import Meta

DEFAULT_OFFER_MINUTES = 120


def waitlist_aggregate_id(facility_id: str, scope: str) -> uuid.UUID:
    return derived_id("waitlist", facility_id, scope)


def parse_scope(kind: str, resource_id: str) -> str:
    if kind not in ("provider", "department"):
        raise Invalid("a waitlist belongs to a provider or a department", field="kind")
    return f"{kind}:{resource_id}"


class WaitlistCommands(HospitalBase):
    def waitlist(self, facility_id: str, scope: str, loaded: dict | None = None) -> Waitlist | None:
        aggregate_id = waitlist_aggregate_id(facility_id, scope)
        if loaded is not None and aggregate_id in loaded:
            return loaded[aggregate_id]
        found = self.find(Waitlist, aggregate_id)
        found = found if found is not None and found.facility_id == facility_id else None
        if found is not None and loaded is not None:
            loaded[aggregate_id] = found
        return found

    def join_waitlist(
        self,
        meta: Meta,
        patient: Person,
        department: str,
        appointment_type: AppointmentType,
        duration_minutes: int,
        provider_id: str | None = None,
        before: datetime | None = None,
        appointment_id: str | None = None,
        contact: Contact | None = None,
        entry_id: str | None = None,
        **idem: Unpack[Idempotency],
    ) -> Outcome:
        entry_id = entry_id or str(uuid.uuid4())
        fact = WaitlistJoined(
            entry_id=entry_id,
            patient=patient,
            department=department,
            appointment_type=appointment_type,
            duration_minutes=duration_minutes,
            provider_id=provider_id,
            before=before,
            appointment_id=appointment_id,
            contact=contact,
        )
        scope = waitlist_scope(provider_id, department)

        def decide():
            with refused_as_invalid("patient.birth_date"):
                check_birth_date(patient.birth_date, meta.occurred_at)
            if appointment_id is not None:
                self.appointment(meta.facility_id, appointment_id)  # type: ignore[attr-defined]
            waitlist = self.waitlist(meta.facility_id, scope)
            if waitlist is None:
                waitlist = Waitlist.start_with(waitlist_aggregate_id(meta.facility_id, scope), fact, meta)
            else:
                waitlist.join(fact, meta)
            return entry_id, [waitlist]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _existing(self, facility_id: str, scope: str, loaded: dict | None = None) -> Waitlist:
        waitlist = self.waitlist(facility_id, scope, loaded)
        if waitlist is None:
            raise NotFound(f"no waitlist for {scope}")
        return waitlist

    def leave_waitlist(
        self, meta: Meta, scope: str, entry_id: str, reason: str, **idem: Unpack[Idempotency]
    ) -> Outcome:
        def decide():
            waitlist = self._existing(meta.facility_id, scope)
            waitlist.leave(entry_id, reason, meta)
            return entry_id, [waitlist]

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def accept_offer(
        self, meta: Meta, scope: str, entry_id: str, appointment_id: str | None = None, **idem: Unpack[Idempotency]
    ) -> Outcome:
        """Book the offered slot: move the patient's appointment there, or book a new one."""

        def decide():
            loaded: dict = {}
            waitlist = self._existing(meta.facility_id, scope, loaded)
            waiting = waitlist.entry(entry_id)
            joined = waiting.joined
            booked_id = joined.appointment_id or appointment_id or str(uuid.uuid4())
            offer = waitlist.accept(entry_id, booked_id, meta)
            end = offer.start + timedelta(minutes=joined.duration_minutes)
            if joined.appointment_id:
                changed = self._move(meta, booked_id, offer.start, end, offer.provider_id, loaded)  # type: ignore[attr-defined]
            else:
                fact = AppointmentBooked(
                    patient=joined.patient,
                    provider_id=offer.provider_id,
                    department=joined.department,
                    appointment_type=joined.appointment_type,
                    start=offer.start,
                    end=end,
                    contact=joined.contact,
                    reason="booked from the waitlist",
                )
                changed = self._book(meta, booked_id, fact, loaded)  # type: ignore[attr-defined]
            return booked_id, list({a.id: a for a in [waitlist, *changed, *loaded.values()]}.values())

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def decline_offer(self, meta: Meta, scope: str, entry_id: str, **idem: Unpack[Idempotency]) -> Outcome:
        def decide():
            loaded: dict = {}
            waitlist = self._existing(meta.facility_id, scope, loaded)
            offer = waitlist.decline(entry_id, meta)
            self._offer_freed(
                meta, offer.provider_id, waitlist_department(waitlist, entry_id, scope), offer.start, offer.end, loaded
            )
            return entry_id, list(loaded.values())

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def expire_offers(self, meta: Meta, scope: str, **idem: Unpack[Idempotency]) -> Outcome:
        """Record offers whose time ran out by `meta.occurred_at`, and pass each
        slot on to the next eligible patient. The offers process calls this."""

        def decide():
            loaded: dict = {}
            waitlist = self._existing(meta.facility_id, scope, loaded)
            for offer in waitlist.expire_offers(meta):
                department = waitlist.entries[offer.entry_id].joined.department
                self._offer_freed(meta, offer.provider_id, department, offer.start, offer.end, loaded)
            return scope, list(loaded.values())

        return self.run(decide, facility_id=meta.facility_id, **idem)

    def _offer_freed(
        self, meta: Meta, provider_id: str, department: str, start: datetime, end: datetime, loaded: dict
    ) -> list[Waitlist]:
        """Offer freed time to the longest-waiting eligible patient of the
        provider's or the department's waitlist; returns the waitlists touched."""
        touched, candidates = [], []
        for scope in (waitlist_scope(provider_id, department), waitlist_scope(None, department)):
            waitlist = self.waitlist(meta.facility_id, scope, loaded)
            if waitlist is None:
                continue
            if waitlist.expire_offers(meta):
                touched.append(waitlist)
            found = waitlist.first_eligible(provider_id, start, end, meta.occurred_at)
            if found is not None and found.joined.department == department:
                candidates.append((found.joined_at, waitlist, found))
        if not candidates or not self._still_free(meta, provider_id, start, end, loaded):
            return touched
        _, waitlist, waiting = min(candidates, key=lambda c: c[0])
        minutes = self.settings.waitlist_offer_minutes
        expires_at = meta.occurred_at + timedelta(minutes=minutes)
        waitlist.offer(waiting.joined.entry_id, provider_id, start, end, expires_at, meta)
        return [*touched, waitlist] if waitlist not in touched else touched

    def _still_free(self, meta: Meta, provider_id: str, start: datetime, end: datetime, loaded: dict) -> bool:
        for day in days_touched(start, end):
            day_id = provider_day_id(meta.facility_id, provider_id, day)
            calendar = loaded.get(day_id) or self.find(ProviderDay, day_id)
            try:
                if calendar is not None:
                    calendar.check_free("", start, end)
            except SlotAlreadyBooked:
                return False
        return True

    def pending_offer_times(
        self, facility_id: str, provider_id: str, department: str
    ) -> list[tuple[datetime, datetime]]:
        """Times offered to waiting patients and not yet taken, declined or expired."""
        times = []
        for scope in (waitlist_scope(provider_id, department), waitlist_scope(None, department)):
            waitlist = self.waitlist(facility_id, scope)
            for waiting in waitlist.entries.values() if waitlist else ():
                if waiting.offer is not None and waiting.offer.provider_id == provider_id:
                    times.append((waiting.offer.start, waiting.offer.end))
        return times


def waitlist_department(waitlist: Waitlist, entry_id: str, scope: str) -> str:
    waiting: Waiting | None = waitlist.entries.get(entry_id)
    if waiting is not None:
        return waiting.joined.department
    return scope.split(":", 1)[1]
