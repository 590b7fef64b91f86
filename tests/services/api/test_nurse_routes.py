"""POST /encounters/{id}/nurse: the patient's nurse, assigned and changed by the
floor, shown on the visit; and the refusals it answers with."""

from __future__ import annotations

from tests.services.api.conftest import Api


def test_a_charge_nurse_assigns_and_changes_the_patients_nurse(api: Api):
    visit = api.arrive()
    assert api.get(f"/encounters/{visit}").json()["nurse_id"] is None
    assigned = api.ok(f"/encounters/{visit}/nurse", {"nurse_id": "rn-lee"}, role="charge-nurse")
    assert [e["type"] for e in assigned["events"]] == ["NurseAssigned"]
    assert api.get(f"/encounters/{visit}").json()["nurse_id"] == "rn-lee"
    api.ok(f"/encounters/{visit}/nurse", {"nurse_id": "rn-ortiz"}, role="admin")
    assert api.get(f"/encounters/{visit}").json()["nurse_id"] == "rn-ortiz"


def test_nurse_refusals_are_409_404_422_and_403_and_record_nothing(api: Api):
    visit = api.arrive()
    api.ok(f"/encounters/{visit}/nurse", {"nurse_id": "rn-lee"})
    before = api.position()
    assert api.post(f"/encounters/{visit}/nurse", {"nurse_id": "rn-lee"}).status_code == 409  # already hers
    assert api.post(f"/encounters/{visit}/nurse", {}).status_code == 422
    assert api.post(f"/encounters/{visit}/nurse", {"nurse_id": "rn lee\u0000"}).status_code == 422
    assert api.post("/encounters/no-such-visit/nurse", {"nurse_id": "rn-lee"}).status_code == 404
    for role in ("intake", "provider", "coordinator"):
        assert api.post(f"/encounters/{visit}/nurse", {"nurse_id": "rn-kim"}, role=role).status_code == 403
    api.ok(f"/encounters/{visit}/discharge", {"disposition": "home"})
    after_discharge = api.position()
    assert api.post(f"/encounters/{visit}/nurse", {"nurse_id": "rn-kim"}).status_code == 409  # visit closed
    assert api.position() == after_discharge > before
