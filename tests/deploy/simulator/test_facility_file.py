"""The facility file: the demo hospital loads; a broken file is one clear line."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from base.facility import BED_TYPES, FacilityError, load_facility, parse_facility
from base.settings import Settings as EdflowSettings
from deploy.cli import main as edflow
from events.envelope import Actor
from services.hospital import Hospital
from services.recording import Meta

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "facilities" / "demo.toml"


def demo_raw() -> dict:
    return tomllib.loads(DEMO.read_text())


def test_the_demo_hospital_has_the_units_and_beds_the_board_expects():
    facility = load_facility(DEMO)
    assert (facility.id, facility.timezone) == ("demo", "America/Chicago")
    sizes = {unit.name: len(unit.beds) for unit in facility.units}
    assert sizes == {"Resus": 4, "Acute A": 12, "Acute B": 12, "Fast Track": 8, "Hallway": 4, "Observation": 6}
    beds = facility.beds()
    assert len({b.bed_id for b in beds}) == len(beds) == 46
    assert {b.bed_type for b in beds if b.unit == "acute-b"} == {"acute", "psych"}
    assert facility.inpatient_beds > 0 and facility.ed_ventilators > 0
    assert facility.providers_in("emergency")
    follow_up = facility.appointment_kind("ed-follow-up")
    assert follow_up is not None and follow_up.department == "ed-follow-up-clinic"


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda raw: raw["units"][1]["beds"].append("R2"), "duplicate bed id 'R2'"),
        (lambda raw: raw["units"][0].update(bed_type="bunk"), "unknown bed type 'bunk'"),
        (lambda raw: raw["units"][2]["beds"].append({"id": "B13", "bed_type": "sofa"}), "unknown bed type 'sofa'"),
        (lambda raw: raw.update(timezone="Mars/Olympus"), "not an IANA time zone"),
        (lambda raw: raw.update(inpatient_beds="many"), "Expected `int`, got `str` - at `inpatient_beds`"),
        (lambda raw: raw.pop("units"), "missing required field `units`"),
        (lambda raw: raw["units"][0].update(colour="red"), "unknown field `colour` - at `units[0]`"),
        (lambda raw: raw["providers"][0].update(department="nowhere"), "unknown department 'nowhere'"),
        (lambda raw: raw["rooms"][0].update(department="nowhere"), "room 'or-1' names unknown department 'nowhere'"),
        (lambda raw: raw["rooms"].append(dict(raw["rooms"][0])), "duplicate room id 'or-1'"),
        (lambda raw: raw["appointment_types"][0].update(type="house-call"), "unknown appointment type 'house-call'"),
        (lambda raw: raw["units"].append(dict(raw["units"][0])), "unit 'resus' is defined twice"),
        (lambda raw: raw["hl7_senders"].append(dict(raw["hl7_senders"][0])), "'ADTApp'/'GHHSFacility' is listed twice"),
        (lambda raw: raw["hl7_senders"][0].update(writes=[]), "writes must list the facility ids"),
        (lambda raw: raw["hl7_senders"][0].pop("writes"), "missing required field `writes` - at `hl7_senders[0]`"),
        (lambda raw: raw["hl7_senders"][0].update(application="", facility=""), "needs an application (MSH-3)"),
        (lambda raw: raw["hl7_senders"][0].update(certificate_sha256="abc"), "certificate_sha256 must be 64 hex"),
        (lambda raw: raw["hl7_senders"][0].update(certificate_subject="adt feed"), "certificate_subject must read"),
        (lambda raw: raw["hl7_senders"][0].update(application="EPIC:2"), "must not contain ':'"),
        (lambda raw: raw["departments"][1]["hours"][0].update(start="8am"), 'local times like "08:00"'),
        (lambda raw: raw["departments"][1]["hours"][0].update(end="07:00"), "07:00 is not after 08:00"),
        (lambda raw: raw["departments"][1]["hours"][0].update(days=["Mon", "Funday"]), "not ['Funday']"),
        (lambda raw: raw["departments"][1]["hours"][0].pop("days"), "missing required field `days`"),
        (lambda raw: raw["booking"].update(url="javascript:alert(1)"), "is not an http(s) address"),
        (lambda raw: raw["booking"].update(phone="555\u202e"), "contains U+202E"),
    ],
)
def test_a_broken_facility_is_refused_with_one_line_that_says_where(break_it, expected):
    raw = demo_raw()
    break_it(raw)
    with pytest.raises(FacilityError) as refused:
        parse_facility(raw, "site.toml")
    message = str(refused.value)
    assert message.startswith("site.toml: ")
    assert expected in message
    assert "\n" not in message


def test_a_file_that_is_not_toml_is_refused_with_its_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "demo"\nunits = [\n  oops\n]\n')
    with pytest.raises(FacilityError, match=r"bad.toml: not valid TOML: .*line"):
        load_facility(bad)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(FacilityError, match="no such file"):
        load_facility(tmp_path / "absent.toml")


def test_facility_load_registers_every_bed_once_and_is_idempotent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    assert edflow(["facility", "load"]) == 0
    out = capsys.readouterr().out
    assert "46 beds registered, 0 already registered" in out and "10 schedules defined, 0 already defined" in out
    assert edflow(["facility", "load", "--file", str(DEMO)]) == 0
    out = capsys.readouterr().out
    assert "0 beds registered, 46 already registered" in out and "0 schedules defined, 10 already defined" in out
    app = Hospital(EdflowSettings(data_dir=tmp_path))
    try:
        bed = app.bed("demo", "B11")
        assert (bed.unit, bed.status) == ("acute-b", "available")
        assert app.recorder.max_notification_id() == 46 + 10  # the second load recorded nothing
    finally:
        app.close()


def test_facility_load_gives_the_clinics_working_schedules_with_free_slots(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    assert edflow(["facility", "load"]) == 0
    app = Hospital(EdflowSettings(data_dir=tmp_path))
    try:
        monday = date.today() + timedelta(days=7 - date.today().weekday())
        schedule = app.resource_schedule("demo", "provider", "im-abara")
        assert schedule is not None and schedule.department == "internal-medicine"
        assert schedule.slot_lengths == {"outpatient-visit": 30} and schedule.tz.key == "America/Chicago"
        slots = app.availability("demo", "provider", "im-abara", monday, monday, "outpatient-visit")
        assert len(slots) == 16 and {s.status for s in slots} == {"free"}  # 08:00 to 16:00, 30 minutes each
        saturday = monday + timedelta(days=5)
        assert app.availability("demo", "provider", "ortho-sato", saturday, saturday, "outpatient-procedure") == []
        assert len(app.availability("demo", "provider", "fu-novak", saturday, saturday, "ed-follow-up")) == 24
        assert app.resource_schedule("demo", "provider", "ed-okafor") is None  # the ED has no clinic hours
        # Rooms work their department's hours, in slots of its appointment types.
        assert len(app.availability("demo", "room", "or-1", monday, monday, "surgical-case")) == 4
    finally:
        app.close()
    # A schedule changed since (by the scheduling desk) is kept, and said to differ.
    app = Hospital(EdflowSettings(data_dir=tmp_path))
    try:
        meta = Meta(facility_id="demo", occurred_at=datetime.now(UTC), actor=Actor(id="desk", role="scheduler"))
        app.define_schedule(
            meta, "provider", "im-abara", "internal-medicine", "America/Chicago", [(0, time(9), time(12))]
        )
    finally:
        app.close()
    capsys.readouterr()
    assert edflow(["facility", "load"]) == 0
    assert "note: provider im-abara has a schedule that differs from the file; it is kept" in capsys.readouterr().out


def test_facility_load_with_a_broken_file_is_a_one_line_error_and_records_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    raw = DEMO.read_text().replace('"A2"', '"A1"')
    broken = tmp_path / "broken.toml"
    broken.write_text(raw)
    assert edflow(["facility", "load", "--file", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"edflow facility: {broken}: duplicate bed id 'A1' (in units 'acute-a' and 'acute-a')"
    assert not (tmp_path / "events.sqlite").exists()


bed_ids = st.sampled_from(["R1", "R2", "A1", "A2", "B1", "F1", "H1", ""])
bed_types = st.sampled_from(["resus", "acute", "fast-track", "hallway", "observation", "psych", "exam", "bunk", ""])
units = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["resus", "acute-a", "fast-track"]),
            "name": st.just("Unit"),
            "bed_type": bed_types,
            "beds": st.lists(
                st.one_of(bed_ids, st.fixed_dictionaries({"id": bed_ids, "bed_type": bed_types})), max_size=5
            ),
        }
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(units=units)
def test_any_facility_either_loads_consistent_beds_or_is_refused_in_one_line(units):
    raw = {**demo_raw(), "units": units}
    try:
        facility = parse_facility(raw, "site.toml")
    except FacilityError as refused:
        message = str(refused)
        assert message.startswith("site.toml: ") and "\n" not in message
        return
    beds = facility.beds()
    assert beds and len({b.bed_id for b in beds}) == len(beds)
    assert all(b.bed_id and b.bed_type in BED_TYPES for b in beds)
    assert len({u.id for u in facility.units}) == len(facility.units)


def test_facility_check_summarises_a_good_file_and_records_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    assert edflow(["facility", "check", "--file", str(DEMO)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo: Riverside General Hospital (demo) (America/Chicago) - 6 units, 46 beds")
    assert out.rstrip().endswith("9 HL7 senders: OK")
    assert not (tmp_path / "events.sqlite").exists()
