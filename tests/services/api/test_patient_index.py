"""The patient index over the API: search by MRN, name or birth date (an
audited read, identity only for schedulers and admins), one patient's view,
corrections and merges, and refusals (422, 404, 409) that record nothing."""

from __future__ import annotations

from services.audit.access import access_log
from tests.services.api.conftest import Api

ANA = {"given_name": "Ana", "family_name": "Lopez", "mrn": "MRN-1", "sex": "F", "birth_date": "1980-05-01"}
ANA_AGAIN = {**ANA, "mrn": "MRN-9", "given_name": "Anna"}


def two_records(api: Api) -> None:
    api.arrive("V1", **ANA)
    api.arrive("V2", **ANA_AGAIN)
    api.book("A1")  # MRN-2, Ben Okafor


def test_search_by_mrn_name_or_birth_date_is_audited_and_minimal_for_other_roles(api: Api):
    two_records(api)
    found = api.get("/patients?name=lop%20an", role="scheduler").json()
    assert [r["mrn"] for r in found["results"]] == ["MRN-1", "MRN-9"]
    assert found["results"][0] | {"record_id": None} == {
        "record_id": None, "mrn": "MRN-1", "family_name": "Lopez", "given_name": "Ana", "birth_date": "1980-05-01",
        "age_years": found["results"][0]["age_years"], "sex": "F", "status": "active", "merged_into": None,
        "visits": 1, "appointments": 0,
    }  # fmt: skip
    assert [r["mrn"] for r in api.get("/patients?mrn=mrn-2", role="scheduler").json()["results"]] == ["MRN-2"]
    assert api.get("/patients?birth_date=1980-05-01", role="scheduler").json()["count"] == 2
    shown = api.get("/patients?name=lopez", role="intake").json()["results"]
    assert [(r["mrn"], r["initials"], r["sex"]) for r in shown] == [(None, "A.L.", "F"), (None, "A.L.", "F")]
    assert "Lopez" not in str(shown) and "1980" not in str(shown)
    reads = {(e.role, e.resource, e.resource_id, e.refs()) for e in access_log(api.hospital, facility_id="fac-1")}
    assert ("scheduler", "patients.search", "name=lop%20an", ()) in reads  # the search itself
    assert ("scheduler", "patients.search", "name=lop%20an", ("Patient/MRN-1", "Patient/MRN-9")) in reads
    assert ("intake", "patients.search", "name=lopez", ("Patient/MRN-1", "Patient/MRN-9")) in reads


def test_search_and_view_refusals(api: Api):
    two_records(api)
    assert api.get("/patients", role="scheduler").status_code == 422  # no criterion
    assert api.get("/patients?birth_date=1980-13-01", role="scheduler").status_code == 422
    assert api.get("/patients?mrn=%E2%80%AEx", role="scheduler").status_code == 422
    assert api.get("/patients?name=x", role="provider").status_code == 403
    assert api.get("/patients/MRN-404", role="scheduler").status_code == 404


def test_a_merge_moves_the_records_and_shows_in_both_views(api: Api):
    two_records(api)
    before = api.get("/patients/MRN-9", role="scheduler").json()
    assert [v["visit_number"] for v in before["visits"]] == ["V2"]
    merged = api.post("/patients/MRN-9/merge", {"into": "MRN-1", "reason": "duplicate registration"}, role="scheduler")
    assert merged.status_code == 200, merged.text
    assert [e["type"] for e in merged.json()["events"]] == ["PatientRecordsMerged", "PatientRecordsMerged"]
    survivor = api.get("/patients/MRN-1", role="scheduler").json()
    assert sorted(v["visit_number"] for v in survivor["visits"]) == ["V1", "V2"]
    assert survivor["merged_from"] == ["MRN-9"] and survivor["status"] == "active"
    duplicate = api.get("/patients/MRN-9", role="scheduler").json()
    assert duplicate["status"] == "merged" and duplicate["merged_into"] == "MRN-1" and duplicate["visits"] == []
    for view in (survivor, duplicate):
        [merge] = [h for h in view["history"] if h["type"] == "PatientRecordsMerged"]
        assert merge["by"] == {"id": "user-7", "role": "scheduler"} and merge["reason"] == "duplicate registration"
        assert "MRN-9 merged into MRN-1" in merge["summary"]


def test_refused_merges_and_corrections_record_nothing(api: Api):
    two_records(api)
    api.ok("/patients/MRN-9/merge", {"into": "MRN-1", "reason": "duplicate"}, role="scheduler")
    cases = [
        ("/patients/MRN-1/merge", {"into": "MRN-1", "reason": "x"}, 409),  # into itself
        ("/patients/MRN-2/merge", {"into": "MRN-9", "reason": "x"}, 409),  # into a merged record
        ("/patients/MRN-9/merge", {"into": "MRN-2", "reason": "x"}, 409),  # merged already
        ("/patients/MRN-404/merge", {"into": "MRN-1", "reason": "x"}, 404),
        ("/patients/MRN-2/merge", {"into": "MRN-404", "reason": "x"}, 404),
        ("/patients/MRN-2/merge", {"into": "MRN-1"}, 422),  # no reason
        ("/patients/MRN-2/merge", {"into": "MRN 1", "reason": "x"}, 422),
        ("/patients/MRN-9/corrections", {"reason": "typo", "given_name": "Anne"}, 409),
        ("/patients/MRN-404/corrections", {"reason": "typo", "given_name": "Anne"}, 404),
        ("/patients/MRN-1/corrections", {"reason": "typo"}, 422),  # nothing to correct
        ("/patients/MRN-1/corrections", {"reason": "typo", "birth_date": "2999-01-01"}, 422),
        ("/patients/MRN-1/corrections", {"reason": "typo", "contact": {"email": "nope"}}, 422),
    ]
    for path, body, status in cases:
        position = api.position()
        response = api.post(path, body, role="scheduler")
        assert response.status_code == status, (path, body, response.text)
        assert api.position() == position, (path, body)
    assert api.post("/patients/MRN-2/merge", {"into": "MRN-1", "reason": "x"}, role="intake").status_code == 403


def test_a_correction_is_shown_with_who_and_why_and_a_repeat_records_nothing(api: Api):
    two_records(api)
    body = {"reason": "patient spelled it", "given_name": "Anne", "contact": {"phone": "+1 555 0100"},
            "coverage": {"payer": "Acme", "member_id": "M77", "plan": "Gold"}}  # fmt: skip
    assert [e["type"] for e in api.ok("/patients/MRN-1/corrections", body, role="scheduler")["events"]] == [
        "PatientRecordUpdated"
    ]
    view = api.get("/patients/MRN-1", role="scheduler").json()
    assert view["given_name"] == "Anne" and view["contact"]["phone"] == "+1 555 0100"
    assert view["coverage"]["member_id"] == "M77"
    [change] = view["history"]
    assert change["reason"] == "patient spelled it" and change["by"]["role"] == "scheduler"
    position = api.position()
    assert api.ok("/patients/MRN-1/corrections", body, role="scheduler")["events"] == []
    assert api.position() == position
    other = api.get("/patients/MRN-1", role="auditor").json()
    assert other["mrn"] is None and other["contact"] is None and other["coverage"]["member_id"] == ""


def test_the_view_lists_appointments_coverage_checks_and_contacts(api: Api):
    api.book("A1")
    coverage = {"coverage": {"payer": "Acme", "member_id": "M1"}}
    api.ok("/appointments/A1/insurance-verification", coverage, role="scheduler")
    api.ok("/appointments/A1/insurance-verification/result", {"verified": True, "detail": "ok"}, role="scheduler")
    call = {"channel": "phone", "direction": "outbound", "reason": "reminder", "outcome": "reached"}
    api.ok("/patients/MRN-2/contacts", call, role="scheduler")
    view = api.get("/patients/MRN-2", role="scheduler").json()
    assert [a["appointment_id"] for a in view["appointments"]] == ["A1"]
    [check] = view["coverage_checks"]
    assert (check["payer"], check["status"], check["appointment_id"]) == ("Acme", "verified", "A1")
    assert [c["reason"] for c in view["contacts"]] == ["reminder"]
    refs = {e.refs() for e in access_log(api.hospital, facility_id="fac-1") if e.resource == "patients.read"}
    assert ("Patient/MRN-2", "Appointment/A1") in refs
