"""POST /encounters/{id}/ventilation: who may, and the refusals it answers with."""

from __future__ import annotations

from tests.services.api.conftest import Api


def test_a_provider_starts_and_a_charge_nurse_stops_ventilation(api: Api):
    visit = api.arrive()
    started = api.ok(f"/encounters/{visit}/ventilation", {"action": "start"}, role="provider")
    assert [e["type"] for e in started["events"]] == ["VentilationStarted"]
    assert api.get(f"/encounters/{visit}").json()["ventilated"] is True
    stopped = api.ok(f"/encounters/{visit}/ventilation", {"action": "stop"}, role="charge-nurse")
    assert [e["type"] for e in stopped["events"]] == ["VentilationStopped"]
    assert api.get(f"/encounters/{visit}").json()["ventilated"] is False


def test_ventilation_refusals_are_409_404_422_and_403(api: Api):
    visit = api.arrive()
    before = api.position()
    assert api.post(f"/encounters/{visit}/ventilation", {"action": "stop"}).status_code == 409
    assert api.post(f"/encounters/{visit}/ventilation", {"action": "pause"}).status_code == 422
    assert api.post(f"/encounters/{visit}/ventilation", {}).status_code == 422
    assert api.post("/encounters/no-such-visit/ventilation", {"action": "start"}).status_code == 404
    assert api.post(f"/encounters/{visit}/ventilation", {"action": "start"}, role="intake").status_code == 403
    assert api.position() == before
    api.ok(f"/encounters/{visit}/ventilation", {"action": "start"})
    assert api.post(f"/encounters/{visit}/ventilation", {"action": "start"}).status_code == 409
    api.ok(f"/encounters/{visit}/discharge", {"disposition": "admitted", "destination": "ICU-1"})
    assert api.post(f"/encounters/{visit}/ventilation", {"action": "stop"}).status_code == 409
