"""The board's dead-letter alert reaches only the roles that run the board."""

from __future__ import annotations

import pytest

from base.auth import ROLES
from base.permissions import board_kinds
from dashboard.protocol import for_view
from events.board import AlertChange, AlertValue, CapacityChange, DeadLetterNote

ALERT = AlertChange(
    id="dead-letters",
    value=AlertValue(
        count=1,
        latest=[
            DeadLetterNote(
                type="PatientTriaged", at="2026-03-02T10:00:00+00:00", reason="TypeError in projections.fold.step"
            )
        ],
    ),
)
CAPACITY = CapacityChange(id="ed", value=None)


@pytest.mark.parametrize("role", ROLES)
def test_only_coordinators_charge_nurses_and_admins_see_the_alert(role):
    kinds = [c.kind for c in for_view([ALERT, CAPACITY], None, board_kinds(role))]
    assert ("alert" in kinds) is (role in {"coordinator", "charge-nurse", "admin"})
    # Everything else a role saw before, it still sees.
    assert ("capacity" in kinds) is (role != "scheduler")
