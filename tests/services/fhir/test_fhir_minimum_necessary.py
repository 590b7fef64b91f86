"""The visit number is identity (it finds the patient in the hospital's own
systems): FHIR Encounter.identifier only for roles that see identity."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.encounter import Encounter

from base.permissions import ALLOWED, sees_identity
from tests.services.fhir.conftest import BASE

READERS = sorted(ALLOWED["encounters.read"])


@pytest.mark.parametrize("role", READERS)
def test_an_encounter_carries_its_visit_number_only_for_roles_that_see_identity(scenario, reader, role):
    client = reader(role)
    read = client.get(f"{BASE}/Encounter/{scenario['V2']}")
    assert read.status_code == 200, read.text
    Encounter.model_validate(read.json())
    searched = client.get(f"{BASE}/Encounter", params={"status": "finished"}).json()["entry"][0]["resource"]
    for resource in (read.json(), searched):
        if sees_identity("encounters.read", role):
            assert resource["identifier"][0]["value"] == "V2"
        else:
            assert "identifier" not in resource and "V2" not in str(resource)
            assert "Turing" not in str(resource) and "MRN-ALAN" not in str(resource)


def test_some_roles_read_encounters_without_seeing_identity():
    assert {r for r in READERS if not sees_identity("encounters.read", r)} >= {"charge-nurse", "coordinator"}
