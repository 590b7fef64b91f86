"""The patient-access part of one fold step: an appointment's entry and the
facility's schedule counts (board values only when the step publishes)."""

from __future__ import annotations

from events.board import AppointmentChange, ScheduleChange
from events.catalogue import AppointmentBooked, ProviderTimeReleased, ProviderTimeReserved
from events.envelope import Envelope
from projections import schedule
from projections.entries import AppointmentEntry, FacilitySummary, ScheduleBook
from projections.profile import FacilityProfile, appointment_key, schedule_key
from projections.step_builder import Builder

CALENDAR_FACTS = (ProviderTimeReserved, ProviderTimeReleased)


def appointment_step(
    out: Builder, summary: FacilitySummary, envelope: Envelope, profile: FacilityProfile
) -> FacilitySummary:
    fact = envelope.data
    if isinstance(fact, CALENDAR_FACTS):
        return summary  # provider calendars are the write model's concern
    appointment_id = str(envelope.aggregate_id)
    key = appointment_key(envelope.facility_id, appointment_id)
    old = out.get(key, AppointmentEntry)
    if old is None:
        new = schedule.booked(appointment_id, fact) if isinstance(fact, AppointmentBooked) else None
    else:
        new = schedule.apply_fact(old, fact)
    out.write(key, old, new)
    if out.publishing:
        out.publish(AppointmentChange, appointment_id, schedule.appointment_value(old), schedule.appointment_value(new))
    book_key = schedule_key(envelope.facility_id)
    stored = out.get(book_key, ScheduleBook)
    book = stored or ScheduleBook()
    new_book, changed = schedule.with_appointment(book, old, new, profile)
    out.write(book_key, stored, new_book if new_book.counts else None)
    if out.publishing:
        for sid in sorted(changed):
            out.publish(ScheduleChange, sid, schedule.schedule_value(book, sid), schedule.schedule_value(new_book, sid))
    return summary
