"""Every kind of resource the FHIR API serves passes the HAPI FHIR reference
validator (R4 core profiles, in-memory terminology) with no error: reads and
searches of a facility whose records take each status and carry each
optional element, the searchset Bundles, the CapabilityStatement and an
OperationOutcome, and the published free time (`$bulk-publish` files, with
the SMART booking extensions). All are validated in one JVM run (its start
costs seconds).

The validator's jars are fetched by deploy/setup.sh (deploy/fhir-validator.sh)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.fhir.router import router
from services.hospital import Hospital
from tests.services.fhir.conftest import ADA, BASE, build_scenario, client_for, meta
from tests.services.fhir.test_fhir_bulk_publish import SITE, now_meta

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / "deploy" / "fhir-validator"


def validator_classpath() -> str:
    version = (VALIDATOR / "pom.xml").read_text().split("<hapi.version>")[1].split("<")[0]
    libs = ROOT / ".cache" / "fhir-validator" / version / "libs"
    if not libs.is_dir() or shutil.which("java") is None:
        pytest.fail(f"the FHIR validator is not in {libs}: run `bash deploy/fhir-validator.sh fetch` (Java needed)")
    return f"{libs}/*"


def served(client: TestClient) -> list[dict]:
    """Each kind of resource, read and searched, and the Bundles around them."""
    searches = [
        "Encounter?_count=50", "Location?_count=50", "Appointment?_count=50", "Coverage?_count=50",
        "Schedule?_count=50", "Slot?start=ge2026-03-02&start=le2026-03-04&_count=500",
        "Slot?schedule=dr-curie&start=2026-03-02&status=busy",
    ]  # fmt: skip
    found: list[dict] = []
    for search in searches:
        bundle = client.get(f"{BASE}/{search}").json()
        assert bundle["resourceType"] == "Bundle", bundle
        found.append(bundle)
        for entry in bundle.get("entry", []):
            resource = entry["resource"]
            found.append(resource)
            read = client.get(f"{BASE}/{resource['resourceType']}/{resource['id']}")
            assert read.status_code == 200, read.text
            found.append(read.json())
    found.append(client.get(f"{BASE}/metadata").json())
    for output in client.get(f"{BASE}/$bulk-publish").json()["output"]:  # every Slot has one shape: a few do
        found += [json.loads(line) for line in client.get(output["url"]).text.splitlines()[:10]]
    found.append(client.get(f"{BASE}/Encounter/nope").json())  # an OperationOutcome
    return found


def test_every_resource_served_passes_the_reference_validator(sqlite_settings, tmp_path):
    classpath = validator_classpath()
    hospital = Hospital(sqlite_settings)
    try:
        build_scenario(hospital)
        # Each Slot status: a block (busy-unavailable) and an offer to a waiting patient (busy-tentative).
        hospital.block_time(meta(1, 9), "provider", "dr-hopper", at(3, 13), at(3, 14), "teaching")
        hospital.join_waitlist(meta(1, 16), ADA, "cardiology", "outpatient-visit", 20, provider_id="dr-hopper")
        hospital.cancel_appointment(meta(1, 17), "ap-1", reason="patient request")
        # Free time published from today on, with the facility file's booking details.
        hospital.define_schedule(
            now_meta(), "provider", "dr-pub", "clinic", "UTC", [(d, time(8), time(16)) for d in range(7)]
        )
        site = tmp_path / "site.toml"
        site.write_text(SITE)
        api = create_app(sqlite_settings.model_copy(update={"facility_config": site}), hospital)
        api.include_router(router)
        resources = served(client_for(api, sqlite_settings, "admin"))
    finally:
        hospital.close()
    kinds = {r["resourceType"] for r in resources}
    assert kinds >= {"Encounter", "Location", "Appointment", "Coverage", "Schedule", "Slot", "Bundle",
                     "CapabilityStatement", "OperationOutcome"}  # fmt: skip
    statuses = {r["status"] for r in resources if r["resourceType"] == "Slot"}
    assert statuses >= {"free", "busy", "busy-unavailable"}
    assert any(r.get("extension") for r in resources if r["resourceType"] == "Slot")  # the published ones
    ndjson = tmp_path / "served.ndjson"
    ndjson.write_text("\n".join(json.dumps(r) for r in resources) + "\n")
    run = subprocess.run(
        ["java", "-Xss4m", "-cp", classpath, str(VALIDATOR / "Validate.java"), str(ndjson)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line.split("\t") for line in run.stdout.splitlines()]
    assert lines[-1] == ["DONE", str(len(resources))]
    errors = [line for line in lines if line[0] in ("ERROR", "FATAL")]
    assert errors == [], "\n".join("\t".join(e) for e in errors)


def at(day: int, hour: int) -> datetime:
    return datetime.combine(datetime(2026, 3, day).date(), time(hour), tzinfo=UTC)
