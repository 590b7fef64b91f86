"""Every read of a patient's data through the API or FHIR is in the access log."""

from __future__ import annotations

from fastapi.testclient import TestClient

from base.auth import mint_token
from deploy.server import build_app as create_app
from services.audit.access import access_log
from services.audit.verify import verify


def test_api_and_fhir_reads_are_logged_with_who_what_and_where(sqlite_settings):
    app = create_app(sqlite_settings)
    with TestClient(app) as client:
        intake = {"Authorization": "Bearer " + mint_token(sqlite_settings, "nurse-ann", "intake", ["fac-1"])}
        provider = {"Authorization": "Bearer " + mint_token(sqlite_settings, "dr-bo", "provider", ["fac-1"])}
        arrived = client.post(
            "/api/v1/facilities/fac-1/encounters",
            json={"visit_number": "V1", "patient": {"family_name": "Doe", "sex": "F"}},
            headers=intake,
        )
        assert arrived.status_code == 201
        encounter_id = arrived.json()["id"]
        assert client.get(f"/api/v1/facilities/fac-1/encounters/{encounter_id}", headers=provider).status_code == 200
        assert client.get(f"/fhir/R4/fac-1/Encounter/{encounter_id}", headers=provider).status_code == 200
        hospital = app.state.hospital
        entries = list(access_log(hospital, facility_id="fac-1"))
        assert verify(hospital).intact
    assert [(e.actor_id, e.role, e.resource, e.resource_id) for e in entries] == [
        ("dr-bo", "provider", "encounters.read", encounter_id),
        ("dr-bo", "provider", "fhir/Encounter", encounter_id),
    ]
    assert all(e.client for e in entries)


def test_refused_reads_are_not_logged_as_disclosures(sqlite_settings):
    app = create_app(sqlite_settings)
    with TestClient(app) as client:
        scheduler = {"Authorization": "Bearer " + mint_token(sqlite_settings, "s", "scheduler", ["fac-2"])}
        assert client.get("/api/v1/facilities/fac-1/encounters/x", headers=scheduler).status_code == 403
        assert list(access_log(app.state.hospital)) == []


def booking(appointment_id: str, start: str) -> dict:
    return {
        "appointment_id": appointment_id,
        "patient": {"given_name": "Ben", "family_name": "Okafor", "mrn": f"MRN-{appointment_id}", "sex": "M"},
        "provider_id": "dr-kim",
        "department": "ortho",
        "appointment_type": "ed-follow-up",
        "start": start,
        "end": start.replace(":00:00", ":30:00"),
    }


def test_lists_and_searches_record_the_ids_they_returned(sqlite_settings):
    app = create_app(sqlite_settings)
    base = "/api/v1/facilities/fac-1"
    with TestClient(app) as client:
        admin = {"Authorization": "Bearer " + mint_token(sqlite_settings, "adm", "admin", ["fac-1"])}
        scheduler = {"Authorization": "Bearer " + mint_token(sqlite_settings, "sam", "scheduler", ["fac-1"])}
        provider = {"Authorization": "Bearer " + mint_token(sqlite_settings, "dr-bo", "provider", ["fac-1"])}
        for appointment_id, hour in (("A1", 9), ("A2", 10)):
            body = booking(appointment_id, f"2026-03-02T{hour:02d}:00:00+00:00")
            booked = client.post(f"{base}/appointments", json=body, headers=admin)
            assert booked.status_code == 201, booked.text
        visits = [
            client.post(f"{base}/encounters", json={"visit_number": v, "patient": {"mrn": f"MRN-{v}"}}, headers=admin)
            .json()["id"]
            for v in ("V1", "V2")
        ]  # fmt: skip
        queue = client.get(f"{base}/work-queue?as_of=2026-03-02T08:00:00Z", headers=scheduler)
        report = client.get(f"{base}/reports/schedule?from=2026-03-02", headers=scheduler)
        search = client.get("/fhir/R4/fac-1/Encounter?status=arrived", headers=provider)
        assert queue.status_code == report.status_code == search.status_code == 200
        hospital = app.state.hospital
        disclosed = {
            (e.actor_id, e.resource, e.resource_id): e.refs()
            for e in access_log(hospital, facility_id="fac-1")
            if e.action == "disclosed"
        }
        # "Who saw this patient": every entry that returned visit V1, by its id.
        saw_v1 = [(e.actor_id, e.action, e.resource) for e in access_log(hospital, resource_id=visits[0])]
        saw_a2 = {(e.actor_id, e.resource) for e in access_log(hospital, resource_id="A2")}
        assert verify(hospital).intact
    appointments = {"Appointment/A1", "Appointment/A2"}
    assert set(disclosed[("sam", "scheduling.work-queue", "as_of=2026-03-02T08:00:00Z")]) >= appointments
    assert set(disclosed[("sam", "scheduling.report-schedule", "from=2026-03-02")]) == appointments
    assert set(disclosed[("dr-bo", "fhir/Encounter", "status=arrived")]) == {
        *(f"Encounter/{v}" for v in visits),
        "Patient/MRN-V1",
        "Patient/MRN-V2",
    }
    assert saw_v1 == [("dr-bo", "disclosed", "fhir/Encounter")]
    assert saw_a2 == {("sam", "scheduling.work-queue"), ("sam", "scheduling.report-schedule")}


def test_a_long_result_is_recorded_in_bounded_entries_that_hold_every_id(sqlite_settings):
    from base.auth import Principal
    from services.audit.access import DISCLOSED_PER_ENTRY, record_disclosed
    from services.hospital import Hospital

    hospital = Hospital(sqlite_settings)
    try:
        refs = [f"Encounter/{n}" for n in range(2 * DISCLOSED_PER_ENTRY + 1)]
        reader = Principal(subject="dr-bo", role="provider", facilities=("fac-1",))
        record_disclosed(hospital, reader, "fac-1", "fhir/Encounter", "", "10.0.0.1", refs)
        entries = list(access_log(hospital))
    finally:
        hospital.close()
    assert [len(e.refs()) for e in entries] == [DISCLOSED_PER_ENTRY, DISCLOSED_PER_ENTRY, 1]
    assert [ref for e in entries for ref in e.refs()] == refs


def test_audit_access_shows_who_was_shown_a_record(sqlite_settings):
    import json

    from base.auth import Principal
    from services.audit.access import record_disclosed
    from services.hospital import Hospital
    from tests.services.audit.test_tamper_evidence import run_cli

    hospital = Hospital(sqlite_settings)
    try:
        for who, refs in (("dr-bo", ["Encounter/e-1", "Patient/MRN-7"]), ("dr-cy", ["Encounter/e-2"])):
            caller = Principal(subject=who, role="provider", facilities=("fac-1",))
            record_disclosed(hospital, caller, "fac-1", "fhir/Encounter", "status=arrived", "10.0.0.9", refs)
    finally:
        hospital.close()
    listed = run_cli(sqlite_settings, "audit", "access", "--record", "MRN-7", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (entry["actor_id"], entry["disclosed"]) == ("dr-bo", ["Encounter/e-1", "Patient/MRN-7"])
    by_reference = run_cli(sqlite_settings, "audit", "access", "--record", "Encounter/e-2", "--json")
    assert [json.loads(line)["actor_id"] for line in by_reference.stdout.splitlines()] == ["dr-cy"]
    table = run_cli(sqlite_settings, "audit", "access", "--record", "e-2")
    assert table.returncode == 0 and "Enco" in table.stdout, table.stderr


def test_a_read_that_fails_is_still_in_the_access_log(sqlite_settings):
    """The record is written on the read's worker thread before its data is built."""
    app = create_app(sqlite_settings)
    with TestClient(app) as client:
        provider = {"Authorization": "Bearer " + mint_token(sqlite_settings, "dr-bo", "provider", ["fac-1"])}
        assert client.get("/api/v1/facilities/fac-1/encounters/no-such-visit", headers=provider).status_code == 404
        entries = list(access_log(app.state.hospital, facility_id="fac-1"))
    assert [(e.actor_id, e.resource, e.resource_id) for e in entries] == [("dr-bo", "encounters.read", "no-such-visit")]
