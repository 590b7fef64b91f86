"""Published facts withhold identity, and the board folded from them is the
board folded from the stored facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
from msgspec.structs import replace

from base.store_log import to_envelope
from events.catalogue import (
    AppointmentBooked,
    Contact,
    Coverage,
    InsuranceVerificationRequested,
    PatientArrived,
    PatientDetailsUpdated,
    PatientTriaged,
    Person,
)
from events.published import published_fact, published_version
from projections.fold import fold_into
from services.hospital import Hospital

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERSON = Person(mrn="M-991", family_name=" doe", given_name="jo", birth_date=date(1980, 3, 3), sex="F")


def test_a_published_arrival_carries_initials_age_and_sex_only():
    published = published_fact(PatientArrived(visit_number="V1", patient=PERSON, chief_complaint="fall"), AT)
    assert isinstance(published, PatientArrived)
    assert published.patient == Person(age_years=45, sex="F", given_initial="J", family_initial="D")
    assert (published.visit_number, published.chief_complaint) == ("V1", "fall")
    assert b"M-991" not in msgspec.json.encode(published) and b"1980" not in msgspec.json.encode(published)


def test_a_stated_age_wins_and_a_correction_names_only_what_it_changes():
    correction = PatientDetailsUpdated(patient=Person(given_name="Ann", age_years=51))
    published = published_fact(correction, AT)
    assert isinstance(published, PatientDetailsUpdated) and published.patient is not None
    assert published.patient.given_initial == "A" and published.patient.age_years == 51
    assert published.patient.family_initial is msgspec.UNSET
    complaint_only = PatientDetailsUpdated(chief_complaint="worse")
    assert published_fact(complaint_only, AT) == complaint_only


def test_contact_details_and_member_ids_are_withheld():
    start = AT + timedelta(days=1)
    booked = AppointmentBooked(
        patient=PERSON,
        provider_id="dr-1",
        department="cardiology",
        appointment_type="ed-follow-up",
        start=start,
        end=start + timedelta(minutes=20),
        contact=Contact(email="jo@example.org", phone="+1 555 0100"),
    )
    published = published_fact(booked, AT)
    assert isinstance(published, AppointmentBooked)
    assert published.contact is None and published.patient.mrn is None
    coverage = Coverage(payer="Acme", member_id="MEM-1", plan="gold")
    requested = published_fact(InsuranceVerificationRequested(coverage=coverage), AT)
    assert isinstance(requested, InsuranceVerificationRequested)
    assert requested.coverage == Coverage(payer="Acme", member_id="", plan="gold")


def test_schema_versions_say_which_types_withhold_identity():
    assert published_version(PatientArrived) == published_version(AppointmentBooked) == 2
    assert published_version(PatientTriaged) == 1


def test_stored_events_keep_their_bytes():
    stored = msgspec.json.encode(PatientArrived(visit_number="V1", patient=PERSON))
    assert b"initial" not in stored


def test_the_board_from_published_envelopes_is_the_board_from_stored_facts(sqlite_settings, clock):
    from tests.projections.conftest import record_morning

    app = Hospital(sqlite_settings)
    try:
        record_morning(app, clock)
        visit = app.arrive(clock.meta(facility_id="demo"), "V-B", Person(given_name="Bo", birth_date=date(1990, 1, 1)))
        correction = PatientDetailsUpdated(patient=Person(family_name="Zed", birth_date=date(1991, 1, 1)))
        app.update_details(clock.meta(facility_id="demo"), visit.id, correction)
        published, stored = [], []
        for notification in app.recorder.select_notifications(1, 10_000):
            event = app.mapper.to_domain_event(notification)
            envelope = to_envelope(notification, event)
            if envelope is not None:
                published.append(envelope)
                stored.append(replace(envelope, data=getattr(event, "fact", None), schema_version=1))
    finally:
        app.close()
    assert published != stored
    assert fold_into({}, published) == fold_into({}, stored)
