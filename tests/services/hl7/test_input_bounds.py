"""Input bounds at the HL7 door, through the intake the MLLP listener calls:
an event time outside the window, an appointment shorter than a slot or out
of range, an implausible birth date, or a control or bidirectional character
in a mapped field is AE with an ERR naming the segment-field, and nothing is
recorded."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base.input_bounds import TimeWindow, text_problem
from base.store_log import envelopes
from projections.fold import fold_into
from services.hl7.context import FeedOptions
from services.hl7.intake import Intake
from tests.services.hl7.conftest import DEMO_SENDERS, facts, segments, setup_meta
from tests.services.hl7.messages import adt, siu


@pytest.fixture
def intake(sqlite_hospital):
    sqlite_hospital.register_bed(setup_meta("FAC1"), "ED-1", unit="ED")
    return Intake(sqlite_hospital, FeedOptions(timezone="America/Chicago", senders=DEMO_SENDERS))


def refused(intake: Intake, text: str, field: str) -> str:
    """Sends `text`; asserts AE blaming `field` (e.g. "EVN^1^2") with nothing recorded; the ERR text."""
    before = len(facts(intake.hospital))
    reply = intake.handle_frame(text.encode())
    assert segments(reply, "MSA")[0][1] == "AE", reply
    (err,) = segments(reply, "ERR")
    assert err[2] == field and err[3].startswith("102^"), err
    assert len(facts(intake.hospital)) == before
    return err[8]


def accepted(intake: Intake, text: str) -> None:
    reply = intake.handle_frame(text.encode())
    assert segments(reply, "MSA")[0][1] == "AA", reply


@pytest.mark.parametrize(
    "stamp, why",
    [
        ("00010101000000", "before this facility's history starts"),
        ("19991231230000+0000", "before this facility's history starts"),
        ("99991231235959", "in the future"),
        ("20990101000000", "in the future"),
    ],
)
def test_an_event_time_outside_the_window_is_ae_naming_the_field(intake, stamp, why):
    assert why in refused(intake, adt("A04", evn=stamp, msh7=stamp), "EVN^1^2")
    assert why in refused(intake, adt("A04", "C2", evn=None, msh7=stamp), "MSH^1^7")


def test_the_window_comes_from_the_feed_options(sqlite_hospital):
    window = TimeWindow(date(1900, 1, 1), 100 * 365 * 86400)
    wide = Intake(sqlite_hospital, FeedOptions(window=window, senders=DEMO_SENDERS))
    accepted(wide, adt("A04", evn="20990101000000"))


@pytest.mark.parametrize(
    "start, end, field, why",
    [
        ("202603100900-0600", "20260310090030-0600", "TQ1^1^8", "at least 5 minutes"),
        ("00010101000000", "00010101003000", "TQ1^1^7", "before this facility's history starts"),
        ("99991231000000", "99991231003000", "TQ1^1^7", "days ahead"),
    ],
)
def test_an_appointment_out_of_bounds_is_ae_naming_its_time(intake, start, end, field, why):
    assert why in refused(intake, siu("S12", start=start, end=end), field)


def test_a_duration_too_long_to_read_is_ae(intake):
    ais = "AIS|1||SURG^Knee surgery|202603100900-0600|||9999999999999|d"
    refused(intake, siu("S12", tq1=False, ais=ais), "AIS^1^8")


def test_a_reschedule_shorter_than_a_slot_is_ae(intake):
    accepted(intake, siu("S12"))
    refused(intake, siu("S13", "S2", start="202603110900-0600", end="202603110901-0600"), "TQ1^1^8")


@pytest.mark.parametrize("birth, why", [("18800101", "more than 130 years"), ("20990101", "is after")])
def test_an_implausible_birth_date_is_ae_naming_pid_7(intake, birth, why):
    assert why in refused(intake, adt("A04", birth=birth), "PID^1^7")


@pytest.mark.parametrize(
    "name", ["DOE\\X00\\^JANE", "DOE^JA\u202eNE", "DOE^JA\u200bNE", "DO\tE^JANE", "DOE\\X07\\^JANE"]
)
def test_control_and_bidirectional_characters_in_names_are_ae_naming_pid_5(intake, name):
    text = adt("A04").replace("DOE^JANE", name)
    assert "U+" in refused(intake, text, "PID^1^5")


def test_a_control_character_in_free_text_is_ae_naming_its_field(intake):
    # PV2-3 chief complaint, and an SIU reason (AIS-3).
    refused(intake, adt("A04") + "PV2|||^Chest\\X0D\\pain\r", "PV2^1^3")
    refused(intake, siu("S12", ais="AIS|1||SURG^Knee\u202esurgery"), "AIS^1^3")


def test_names_in_other_scripts_are_accepted(intake):
    accepted(intake, adt("A04").replace("DOE^JANE", "مهر\u200cانگیز^Ñúñez 李"))


CONTROLS = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="|^~\\&\r\n"), max_size=20))
def test_any_name_is_accepted_and_folds_or_is_refused_and_records_nothing(intake, name):
    before = len(facts(intake.hospital))
    control = f"P{next(CONTROLS)}"
    reply = intake.handle_frame(adt("A04", control, visit=control).replace("DOE^JANE", f"DOE^{name}").encode())
    code = segments(reply, "MSA")[0][1]
    if text_problem(name.strip()) is not None:
        assert code == "AE" and len(facts(intake.hospital)) == before
    elif code == "AA":
        fold_into({}, envelopes(intake.hospital))
