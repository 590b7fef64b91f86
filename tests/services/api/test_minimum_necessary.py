"""The minimum necessary in the API's encounter view: the visit number is
identity, shown only to roles that see names and MRN; others get initials,
age and sex and no visit number."""

from __future__ import annotations

import pytest

from base.permissions import ALLOWED, sees_identity
from tests.services.api.conftest import Api

READERS = sorted(ALLOWED["encounters.read"])


@pytest.mark.parametrize("role", READERS)
def test_the_visit_number_is_shown_only_to_roles_that_see_identity(api: Api, role: str):
    visit = api.arrive("V-4711")
    response = api.get(f"/encounters/{visit}", role=role)
    assert response.status_code == 200, response.text
    body = response.json()
    if sees_identity("encounters.read", role):
        assert body["visit_number"] == "V-4711" and body["patient"]["mrn"] == "MRN-1"
    else:
        assert body["visit_number"] is None
        assert "V-4711" not in response.text and "MRN-1" not in response.text and "Lopez" not in response.text
        assert body["patient"] == {"initials": "A.L.", "age_years": 41, "sex": "F"}
