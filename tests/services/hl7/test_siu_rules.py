"""SIU scheduling rules through the intake, on a real SQLite event store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from events.catalogue import AppointmentBooked, AppointmentRescheduled, InsuranceVerificationRequested
from services.errors import NotFound
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments
from tests.services.hl7.messages import siu

CST = timezone(timedelta(hours=-6))


def in1(**fields: str) -> str:
    values = [""] * 50
    for number, value in fields.items():
        values[int(number[1:])] = value
    return "|".join(["IN1", *values[1:]]).rstrip("|")


IN1 = in1(f1="1", f2="PPO^Gold PPO", f3="BCBS01", f4="Blue Cross", f12="20260101", f13="20261231", f36="MEMBER-42")


@pytest.fixture
def intake(sqlite_hospital):
    return Intake(sqlite_hospital, FeedOptions(timezone="America/Chicago", senders=DEMO_SENDERS))


def send(intake: Intake, text: str) -> bytes:
    return intake.handle_frame(text.encode())


def code_of(reply: bytes) -> str:
    return segments(reply, "MSA")[0][1]


def test_booking_records_the_appointment_with_time_provider_and_department(intake):
    assert code_of(send(intake, siu("S12"))) == "AA"
    (booked,) = [f for f in facts(intake.hospital) if isinstance(f, AppointmentBooked)]
    assert (booked.provider_id, booked.department, booked.appointment_type) == ("DR7", "CLINIC-A", "ed-follow-up")
    assert (booked.start, booked.end) == (
        datetime(2026, 3, 10, 9, 0, tzinfo=CST),
        datetime(2026, 3, 10, 9, 30, tzinfo=CST),
    )
    assert booked.patient.mrn == "MRN1"


def test_booking_with_insurance_requests_its_verification(intake):
    assert code_of(send(intake, siu("S12", in1=IN1))) == "AA"
    (requested,) = [f for f in facts(intake.hospital) if isinstance(f, InsuranceVerificationRequested)]
    coverage = requested.coverage
    assert (coverage.payer, coverage.member_id, coverage.plan) == ("Blue Cross", "MEMBER-42", "Gold PPO")
    assert str(coverage.effective_from) == "2026-01-01"
    assert intake.hospital.appointment("FAC1", "APT1").insurance == "requested"


def test_insurance_without_a_member_id_is_ae_and_nothing_is_booked(intake):
    reply = send(intake, siu("S12", in1="IN1|1|PPO|BCBS01|Blue Cross"))
    assert code_of(reply) == "AE"
    assert segments(reply, "ERR")[0][2] == "IN1^1^36"
    assert facts(intake.hospital) == []


def test_without_tq1_the_time_comes_from_ais_start_and_duration(intake):
    ais = "AIS|1||CONSULT^Follow-up consult|202603101000-0600|||45|min"
    assert code_of(send(intake, siu("S12", tq1=False, ais=ais))) == "AA"
    appointment = intake.hospital.appointment("FAC1", "APT1")
    assert appointment.end - appointment.start == timedelta(minutes=45)
    assert appointment.start == datetime(2026, 3, 10, 10, 0, tzinfo=CST)


def test_a_reschedule_to_a_new_time_is_recorded(intake):
    send(intake, siu("S12"))
    assert code_of(send(intake, siu("S13", "S2", start="202603111400-0600", end="202603111430-0600"))) == "AA"
    moved = [f for f in facts(intake.hospital) if isinstance(f, AppointmentRescheduled)]
    assert len(moved) == 1 and moved[0].start == datetime(2026, 3, 11, 14, 0, tzinfo=CST)


def test_a_modification_to_another_room_is_recorded_without_moving_the_time(intake):
    send(intake, siu("S12"))
    assert code_of(send(intake, siu("S14", "S2").replace("AIL|1||CLINIC-A^R1^", "AIL|1||CLINIC-A^R2^"))) == "AA"
    appointment = intake.hospital.appointment("FAC1", "APT1")
    assert appointment.room_id == "CLINIC-A-R2" and appointment.start == datetime(2026, 3, 10, 9, 0, tzinfo=CST)
    assert not [f for f in facts(intake.hospital) if isinstance(f, AppointmentRescheduled)]


def test_a_modification_without_new_time_provider_or_room_records_nothing(intake):
    send(intake, siu("S12"))
    recorded = len(facts(intake.hospital))
    reply = send(intake, siu("S14", "S2"))
    assert code_of(reply) == "AA"
    assert segments(reply, "ERR")[0][4] == "I"
    assert len(facts(intake.hospital)) == recorded


def test_cancel_and_no_show(intake):
    send(intake, siu("S12"))
    send(intake, siu("S12", "S2", appointment="APT2", start="202603101000-0600", end="202603101030-0600"))
    assert code_of(send(intake, siu("S15", "S3"))) == "AA"
    assert code_of(send(intake, siu("S26", "S4", appointment="APT2"))) == "AA"
    assert intake.hospital.appointment("FAC1", "APT1").status == "cancelled"
    assert intake.hospital.appointment("FAC1", "APT2").status == "noshow"


def test_cancelling_an_unknown_appointment_is_ae_naming_sch_2(intake):
    reply = send(intake, siu("S15", appointment="NOPE"))
    assert code_of(reply) == "AE"
    assert segments(reply, "ERR")[0][2:4] == ["SCH^1^2", "204^Unknown key identifier^HL70357"]


def test_a_double_booked_provider_is_ae_and_the_second_booking_is_not_recorded(intake):
    send(intake, siu("S12"))
    reply = send(intake, siu("S12", "S2", appointment="APT2"))
    assert code_of(reply) == "AE"
    assert "provider already has an appointment" in segments(reply, "MSA")[0][3]
    with pytest.raises(NotFound):
        intake.hospital.appointment("FAC1", "APT2")
