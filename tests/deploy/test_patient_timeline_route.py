"""GET /audit/patient-timeline: a patient's events across visits for
auditors, 404 for an unknown MRN, 422 for a malformed one, refused to other
roles, and on the access log with what it returned."""

from __future__ import annotations

from fastapi.testclient import TestClient

from base.auth import mint_token
from deploy.server import build_app
from services.audit.access import access_log

BASE = "/api/v1/facilities/fac-1"


def test_an_auditor_reads_a_patients_timeline_and_the_read_is_logged(sqlite_settings):
    app = build_app(sqlite_settings)
    with TestClient(app) as client:

        def bearer(sub: str, role: str) -> dict:
            return {"Authorization": "Bearer " + mint_token(sqlite_settings, sub, role, ["fac-1"])}

        intake, nurse, auditor = (
            bearer("desk-ben", "intake"),
            bearer("nurse-2", "charge-nurse"),
            bearer("ivy", "auditor"),
        )
        ids = []
        for visit, complaint, mrn in (("V1", "chest pain", "M-1"), ("V2", "fall", "M-2"), ("V3", "cough", "M-1")):
            body = {"visit_number": visit, "chief_complaint": complaint, "patient": {"mrn": mrn, "sex": "F"}}
            answer = client.post(f"{BASE}/encounters", json=body, headers=intake)
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        fixed = client.patch(f"{BASE}/encounters/{ids[0]}", json={"chief_complaint": "abdominal pain"}, headers=nurse)
        assert fixed.status_code == 200, fixed.text

        params = {"facility": "fac-1", "mrn": "M-1"}
        assert client.get("/audit/patient-timeline", params=params).status_code == 401
        assert client.get("/audit/patient-timeline", params=params, headers=nurse).status_code == 403
        answer = client.get("/audit/patient-timeline", params=params, headers=auditor)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert [r["reference"] for r in body["records"]] == ["V1", "V3"]
        assert [(e["reference"], e["type"]) for e in body["events"]] == [
            ("V1", "PatientArrived"),
            ("V3", "PatientArrived"),
            ("V1", "PatientDetailsUpdated"),
        ]
        arrival, _, fix = body["events"]
        assert fix["corrects"] == [arrival["event_id"]]
        assert fix["correction_note"].startswith(
            "chief complaint: 'chest pain' → 'abdominal pain', corrected by nurse-2"
        )
        assert arrival["corrected_by"][0]["actor"] == "nurse-2"
        assert answer.headers["cache-control"] == "no-store"

        # A visit's timeline names its MRN (to open the patient's) and shows the same correction.
        visit = client.get("/audit/timeline", params={"facility": "fac-1", "visit": "V1"}, headers=auditor).json()
        assert visit["mrn"] == "M-1"
        assert visit["events"][-1]["corrects"] == [arrival["event_id"]]

        missing = client.get("/audit/patient-timeline", params={**params, "mrn": "M-404"}, headers=auditor)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        for bad in ("", " ", "M\u00001", "M" * 65):
            refused = client.get("/audit/patient-timeline", params={**params, "mrn": bad}, headers=auditor)
            assert refused.status_code == 422, (bad, refused.text)

        hospital = app.state.hospital
        reads = list(access_log(hospital, facility_id="fac-1", actor_id="ivy"))
        assert [(e.action, e.resource, e.resource_id) for e in reads if e.resource_id == "M-1"] == [
            ("read", "patient-timeline", "M-1"),
            ("disclosed", "patient-timeline", "M-1"),
        ]
        [disclosed] = [e for e in reads if e.action == "disclosed"]
        assert disclosed.refs() == tuple(f"Encounter/{i}" for i in (ids[0], ids[2]))
        assert not any(e.resource == "patient-timeline" for e in access_log(hospital, actor_id="nurse-2"))


def test_the_timeline_of_a_merged_mrn_is_the_survivors_with_the_merge(sqlite_settings):
    app = build_app(sqlite_settings)
    with TestClient(app) as client:

        def bearer(sub: str, role: str) -> dict:
            return {"Authorization": "Bearer " + mint_token(sqlite_settings, sub, role, ["fac-1"])}

        for visit, mrn in (("V1", "M-1"), ("V2", "M-2")):
            body = {"visit_number": visit, "patient": {"mrn": mrn, "sex": "F"}}
            assert client.post(f"{BASE}/encounters", json=body, headers=bearer("desk", "intake")).status_code == 201
        merge = {"into": "M-1", "reason": "duplicate"}
        merged = client.post(f"{BASE}/patients/M-2/merge", json=merge, headers=bearer("sue", "scheduler"))
        assert merged.status_code == 200, merged.text
        params = {"facility": "fac-1", "mrn": "M-2"}
        body = client.get("/audit/patient-timeline", params=params, headers=bearer("ivy", "auditor")).json()
        assert body["surviving_mrn"] == "M-1"
        assert {(r["kind"], r["reference"]) for r in body["records"]} == {
            ("visit", "V1"), ("visit", "V2"), ("patient", "M-1"), ("patient", "M-2")
        }  # fmt: skip
        assert [e["reference"] for e in body["events"] if e["type"] == "PatientRecordsMerged"] == ["M-2", "M-1"]
