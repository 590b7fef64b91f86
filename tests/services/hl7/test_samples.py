"""Every sample message, as-is, over MLLP with the real `mllp_send` client:
the ACK code it earns and what it leaves in the write model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from events.catalogue import AppointmentModified, PatientDetailsUpdated
from services.ed.application import encounter_id_for
from tests.services.hl7.conftest import SAMPLES, ack_code, facts, sample, segments

MS = "ms-fhir-converter__"
VISIT = str(encounter_id_for("GHHSFacility", "40007716"))
BED_03 = "HUH AE OMU-Bed 03"
AT_0930 = datetime(2021, 9, 24, 9, 30, tzinfo=timezone(timedelta(hours=2, minutes=15)))


def ms_visit(app):
    return app.encounter("GHHSFacility", VISIT)


def check_a04(app):
    assert (ms_visit(app).status, ms_visit(app).bed_id) == ("roomed", BED_03)
    assert app.bed("GHHSFacility", BED_03).encounter_id == VISIT


def check_a01(app):
    check_a04(app)
    assert ms_visit(app).admit_decided


def check_a03(app):
    assert (ms_visit(app).status, ms_visit(app).disposition) == ("finished", "admitted")
    assert app.bed("GHHSFacility", BED_03).status == "dirty"


def check_a08(app):
    updates = [f for f in facts(app) if isinstance(f, PatientDetailsUpdated)]
    patient = updates[-1].patient if updates else None
    assert patient is not None and patient.family_name == "EVERYMAN" and patient.mrn == "PATID1234"


def check_a11(app):
    assert ms_visit(app).status == "cancelled"
    assert app.bed("GHHSFacility", BED_03).status == "dirty"


def check_a13(app):
    assert (ms_visit(app).status, ms_visit(app).disposition) == ("waiting", None)


def check_hapi_a01(app):
    visit = app.encounter("W", str(encounter_id_for("W", "211004554")))
    assert (visit.status, visit.bed_id, visit.admit_decided) == ("roomed", "ZFAST TRACK-13", True)


def check_cerner_a01(app):
    visit = app.encounter("HNA500", str(encounter_id_for("HNA500", "01")))
    assert (visit.status, visit.bed_id, visit.admit_decided) == ("roomed", "MBN1-06", True)


def booked(app):
    return app.appointment("GHHSFacility", "36996")


def check_s12(app):
    appointment = booked(app)
    assert (appointment.status, appointment.provider_id) == ("booked", "1210")
    assert (appointment.start, appointment.end) == (AT_0930, AT_0930 + timedelta(minutes=50))
    assert appointment.room_id in ("055-Room01", "055-Room02")


def check_s14(app):
    check_s12(app)
    assert booked(app).room_id == "055-Room02"  # AIL-3 moved from Room01 to Room02
    assert [f.room_id for f in facts(app) if isinstance(f, AppointmentModified)] == ["055-Room02"]


def check_s15(app):
    assert booked(app).status == "cancelled"


# file, messages sent before it on the same connection, expected ACK, state check (None: nothing recorded)
CASES = [
    ("hapi-hl7v2__ADT_A01.hl7", [], "AA", check_hapi_a01),
    ("hapi-hl7v2__adt_a03.hl7", [], "AE", None),
    (f"{MS}ADT-A01-01.hl7", [], "AA", check_a01),
    (f"{MS}ADT-A02-01.hl7", ["A04"], "AA", check_a04),
    (f"{MS}ADT-A03-01.hl7", ["A04"], "AA", check_a03),
    (f"{MS}ADT-A04-01.hl7", [], "AA", check_a04),
    (f"{MS}ADT-A08-01.hl7", ["A04"], "AA", check_a08),
    (f"{MS}ADT-A11-01.hl7", ["A04"], "AA", check_a11),
    (f"{MS}ADT-A13-01.hl7", ["A04", "A03"], "AA", check_a13),
    (f"{MS}SIU-S12-01.hl7", [], "AA", check_s12),
    (f"{MS}SIU-S13-01.hl7", ["S12"], "AA", check_s12),
    (f"{MS}SIU-S14-01.hl7", ["S12"], "AA", check_s14),
    (f"{MS}SIU-S15-01.hl7", ["S12"], "AA", check_s15),
    ("python-hl7__sample_bad_batch.hl7", [], "AR", None),
    ("python-hl7__sample_bad_file.hl7", [], "AR", None),
    ("python-hl7__sample_batch.hl7", [], "AE", None),
    ("python-hl7__sample_file.hl7", [], "AE", None),
    ("python-hl7__sample_msh.hl7", [], "AA", check_cerner_a01),
]


def given(name: str) -> bytes:
    kind = "ADT" if name.startswith("A") else "SIU"
    return sample(f"{MS}{kind}-{name}-01.hl7")


def test_every_sample_has_an_expectation():
    assert {case[0] for case in CASES} == {p.name for p in SAMPLES.glob("*.hl7")}


@pytest.mark.parametrize("name, before, expected, check", CASES, ids=[c[0] for c in CASES])
def test_sample_earns_its_ack_and_state(running_sqlite, tmp_path, name, before, expected, check):
    replies = running_sqlite.send(tmp_path, *(given(b) for b in before)) if before else []
    assert all(ack_code(r) == "AA" for r in replies)
    recorded_before = running_sqlite.events()

    (reply,) = running_sqlite.send(tmp_path, sample(name))

    assert ack_code(reply) == expected
    if expected != "AA":
        assert segments(reply, "ERR"), "a refusal names what is wrong in ERR"
    if check is None:
        assert running_sqlite.events() == recorded_before
    else:
        check(running_sqlite.app)
