"""The facility file's ids and names get the API's bounds: no control,
bidirectional or invisible characters, and no longer than the API accepts;
`edflow facility check` says what is wrong in one line."""

from __future__ import annotations

import tomllib

import pytest

from base.facility import FacilityError, parse_facility
from deploy.cli import main as edflow
from tests.deploy.simulator.test_facility_file import DEMO


def demo_raw() -> dict:
    return tomllib.loads(DEMO.read_text())


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda raw: raw.update(name="Riverside\u202e General"), "name 'Riverside\\u202e General' contains U+202E"),
        (lambda raw: raw.update(id="de\x00mo"), "id 'de\\x00mo' contains U+0000"),
        (lambda raw: raw["units"][0].update(name="Res\u200bus"), "unit 'resus' name 'Res\\u200bus' contains U+200B"),
        (lambda raw: raw["units"][0]["beds"].append("R\n5"), "unit 'resus' bed id 'R\\n5' contains U+000A"),
        (lambda raw: raw["providers"][0].update(name="Dr\tWho"), "name 'Dr\\tWho' contains U+0009"),
        (lambda raw: raw["units"][0].update(id="u" * 65), "is 65 characters; at most 64"),
        (lambda raw: raw["departments"][0].update(name="d" * 101), "is 101 characters; at most 100"),
    ],
)
def test_a_bad_id_or_name_is_refused_in_one_line(break_it, expected):
    raw = demo_raw()
    break_it(raw)
    with pytest.raises(FacilityError) as refused:
        parse_facility(raw, "site.toml")
    message = str(refused.value)
    assert message.startswith("site.toml: ") and expected in message and "\n" not in message


def test_facility_check_reports_a_bad_name_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EDFLOW_DATA_DIR", str(tmp_path))
    broken = tmp_path / "broken.toml"
    broken.write_text(DEMO.read_text().replace('name = "Resus"', 'name = "Res\\u202Eus"'))
    assert edflow(["facility", "check", "--file", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"edflow facility: {broken}: unit 'resus' name 'Res\\u202eus' contains U+202E")
    assert "\n" not in err


def test_names_in_other_scripts_are_accepted():
    raw = demo_raw()
    raw["name"] = "Hôpital Riverside 李 مهر\u200cانگیز"
    assert parse_facility(raw, "site.toml").name == raw["name"]
