"""Bed request routes: who may, what they record, and the refusals (422,
404, 409) that record nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from base.settings import Settings
from projections.work_queue_reader import WorkQueueReader
from services.api.app import create_app
from services.hospital import Hospital
from tests.services.api.conftest import FACILITY, Api

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "facilities" / "demo.toml"


@pytest.fixture
def api(api_settings: Settings, tmp_path: Path) -> Iterator[Api]:
    """The API of a facility whose file lists the demo's inpatient units."""
    facility_file = tmp_path / "facility.toml"
    facility_file.write_text(DEMO.read_text().replace('id = "demo"', f'id = "{FACILITY}"', 1))
    settings = api_settings.model_copy(update={"facility_config": facility_file})
    hospital = Hospital(settings)
    with TestClient(create_app(settings, hospital, work_queue=WorkQueueReader)) as client:
        yield Api(client, settings, hospital)
    hospital.close()


def types(outcome: dict) -> list[str]:
    return [e["type"] for e in outcome["events"]]


def admitted(api: Api, visit: str = "V1") -> str:
    encounter = api.arrive(visit)
    body = {
        "level_of_care": "ward",
        "requested_level": "step-down",
        "needs": {"telemetry": True, "isolation": "droplet"},
    }
    assert types(api.ok(f"/encounters/{encounter}/admit-decision", body, role="provider")) == [
        "AdmitDecided",
        "BedRequested",
    ]
    return encounter


def test_a_bed_manager_assigns_and_readies_a_bed_and_the_visit_leaves_for_it(api: Api):
    visit = admitted(api)
    assigned = api.ok(
        f"/encounters/{visit}/bed-request/assignment", {"unit": "3S", "bed_id": "3S-04"}, role="bed-manager"
    )
    assert types(assigned) == ["InpatientBedAssigned", "InpatientBedReserved"]
    ready = api.ok(f"/encounters/{visit}/bed-request/ready", {}, role="bed-manager")
    assert types(ready) == ["InpatientBedReady", "InpatientBedPrepared"]
    left = api.ok(
        f"/encounters/{visit}/discharge", {"disposition": "admitted", "destination": "3S-04"}, role="provider"
    )
    assert types(left) == ["PatientDischarged", "InpatientBedOccupied"]
    freed = api.ok("/inpatient-beds/3S-04/release", {"reason": "went home"}, role="bed-manager")
    assert types(freed) == ["InpatientBedReleased"]


def test_refusals_record_nothing(api: Api):
    first, second = admitted(api, "V1"), admitted(api, "V2")
    api.ok(f"/encounters/{first}/bed-request/assignment", {"unit": "4W", "bed_id": "4W-001"})
    before = api.position()
    assignment = f"/encounters/{second}/bed-request/assignment"
    # 409: the bed is held for another patient; a second request; nothing to ready
    assert api.post(assignment, {"unit": "4W", "bed_id": "4W-001"}).status_code == 409
    assert api.post(f"/encounters/{second}/bed-request", {"level_of_care": "icu"}).status_code == 409
    assert api.post(f"/encounters/{second}/bed-request/ready", {}).status_code == 409
    assert api.post("/inpatient-beds/4W-001/release", {"reason": "x"}).status_code == 409
    # 404: no such bed in the facility file, no such visit, no record of the bed
    assert api.post(assignment, {"unit": "4W", "bed_id": "4W-999"}).status_code == 404
    assert api.post("/encounters/nope/bed-request/ready", {}).status_code == 404
    assert api.post("/inpatient-beds/5E-001/release", {"reason": "x"}).status_code == 404
    # 422: the bed is in another unit; bad level; unknown need; missing reason
    assert api.post(assignment, {"unit": "5E", "bed_id": "4W-002"}).status_code == 422
    assert (
        api.post(f"/encounters/{second}/bed-request/change", {"level_of_care": "suite", "reason": "x"}).status_code
        == 422
    )
    change = {"level_of_care": "ward", "needs": {"hyperbaric": True}, "reason": "x"}
    assert api.post(f"/encounters/{second}/bed-request/change", change).status_code == 422
    assert api.post(f"/encounters/{second}/bed-request/cancellation", {}).status_code == 422
    # 403: a coordinator watches; intake does not place patients
    assert api.post(assignment, {"unit": "4W", "bed_id": "4W-002"}, role="coordinator").status_code == 403
    assert api.post(f"/encounters/{second}/bed-request/ready", {}, role="intake").status_code == 403
    assert api.position() == before


def test_cancelling_the_admission_frees_the_bed_for_the_next_patient(api: Api):
    first, second = admitted(api, "V1"), admitted(api, "V2")
    api.ok(f"/encounters/{first}/bed-request/assignment", {"unit": "4W", "bed_id": "4W-010"})
    cancelled = api.ok(f"/encounters/{first}/admission-cancellation", {"reason": "going home"}, role="provider")
    assert types(cancelled) == ["AdmissionCancelled", "InpatientBedReleased"]
    assert types(api.ok(f"/encounters/{second}/bed-request/assignment", {"unit": "4W", "bed_id": "4W-010"})) == [
        "InpatientBedAssigned",
        "InpatientBedReserved",
    ]
