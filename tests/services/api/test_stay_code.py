"""The stay code a patient is told at the desk: in the arrival's answer and
the visit's view, and the same code the hallway screen shows."""

from __future__ import annotations

from base.stay_codes import stay_code, stay_code_key
from tests.services.api.conftest import Api


def test_the_stay_code_is_issued_at_arrival_and_shown_in_the_visits_view(api: Api):
    body = api.post("/encounters", {"visit_number": "V9", "patient": {"sex": "U"}}).json()
    code = body["stay_code"]
    assert len(code) == 5 and code.isalnum() and code.isupper()
    assert code == stay_code(stay_code_key(api.settings), body["id"])
    assert api.get(f"/encounters/{body['id']}").json()["stay_code"] == code
    other = api.post("/encounters", {"visit_number": "V10", "patient": {"sex": "U"}}).json()
    assert other["stay_code"] != code
