"""The role matrix, generated from the permissions table: every allowed
(role, route) is let through (and may fail only for domain reasons), every
other pair is a 403 that records nothing."""

from __future__ import annotations

from pathlib import Path

from base.auth import ROLES
from base.permissions import ALLOWED, render_markdown
from tests.services.api.conftest import BASE, Api, book_body

DOMAIN_OUTCOMES = {200, 201, 404, 409}


def requests_by_route(visit: str) -> dict[str, tuple[str, str, dict | None]]:
    """One valid request per route name in the table."""
    slot = book_body("A-new", "2026-03-04T09:00:00+00:00", "2026-03-04T09:30:00+00:00")
    return {
        "beds.register": ("POST", "/beds", {"bed_id": "ED-9", "unit": "ED-A"}),
        "beds.read": ("GET", "/beds/ED-1", None),
        "beds.release": ("POST", "/beds/ED-1/release", {}),
        "beds.cleaning-started": ("POST", "/beds/ED-1/cleaning-started", {}),
        "beds.cleaned": ("POST", "/beds/ED-1/cleaned", {}),
        "beds.block": ("POST", "/beds/ED-1/block", {"reason": "repair"}),
        "beds.unblock": ("POST", "/beds/ED-1/unblock", {}),
        "encounters.arrive": ("POST", "/encounters", {"visit_number": "V-new", "patient": {"sex": "F"}}),
        "encounters.read": ("GET", f"/encounters/{visit}", None),
        "encounters.triage": ("POST", f"/encounters/{visit}/triage", {"esi": 3}),
        "encounters.provider": ("POST", f"/encounters/{visit}/provider", {"provider_id": "dr-kim"}),
        "encounters.nurse": ("POST", f"/encounters/{visit}/nurse", {"nurse_id": "rn-kim"}),
        "encounters.bed": ("POST", f"/encounters/{visit}/bed", {"bed_id": "ED-1"}),
        "encounters.admit-decision": ("POST", f"/encounters/{visit}/admit-decision", {}),
        "encounters.discharge": ("POST", f"/encounters/{visit}/discharge", {"disposition": "home"}),
        "encounters.ventilation": ("POST", f"/encounters/{visit}/ventilation", {"action": "start"}),
        "encounters.left-without-being-seen": ("POST", f"/encounters/{visit}/left-without-being-seen", {}),
        "encounters.arrival-cancellation": ("POST", f"/encounters/{visit}/arrival-cancellation", {"reason": "error"}),
        "encounters.discharge-cancellation": (
            "POST",
            f"/encounters/{visit}/discharge-cancellation",
            {"reason": "error"},
        ),
        "encounters.update": ("PATCH", f"/encounters/{visit}", {"chief_complaint": "fall"}),
        "appointments.book": ("POST", "/appointments", slot),
        "appointments.read": ("GET", "/appointments/A1", None),
        "appointments.reschedule": (
            "POST",
            "/appointments/A1/reschedule",
            {"start": "2026-03-05T09:00:00Z", "end": "2026-03-05T09:20:00Z"},
        ),
        "appointments.cancel": ("POST", "/appointments/A1/cancel", {"reason": "called"}),
        "appointments.check-in": ("POST", "/appointments/A1/check-in", {}),
        "appointments.no-show": ("POST", "/appointments/A1/no-show", {}),
        "appointments.complete": ("POST", "/appointments/A1/complete", {}),
        "appointments.insurance-verification": (
            "POST",
            "/appointments/A1/insurance-verification",
            {"coverage": {"payer": "Acme", "member_id": "M1"}},
        ),
        "appointments.insurance-verification-result": (
            "POST",
            "/appointments/A1/insurance-verification/result",
            {"verified": False, "detail": "inactive"},
        ),
        "appointments.insurance-payer-check": ("POST", "/appointments/A1/insurance-verification/payer-check", {}),
    }


def test_every_role_gets_exactly_the_routes_the_table_allows(api: Api):
    api.register_bed("ED-1")
    visit = api.arrive("V1")
    api.book("A1")
    catalogue = requests_by_route(visit)
    assert set(catalogue) == command_api_routes(), "every encounter, bed and appointment route needs a request here"
    wrong = []
    for route, (method, path, body) in catalogue.items():
        for role in ROLES:
            before = api.position()
            response = api.client.request(method, BASE + path, json=body, headers=api.headers(role))
            if role in ALLOWED[route]:
                if response.status_code not in DOMAIN_OUTCOMES:
                    wrong.append(f"{role} on {route}: {response.status_code} {response.text[:120]}")
            elif response.status_code != 403 or api.position() != before:
                wrong.append(f"{role} on {route}: expected 403, got {response.status_code}")
    assert wrong == []


def command_api_routes() -> set[str]:
    from services.api import appointments, beds, encounters

    return {route.name for module in (encounters, beds, appointments) for route in module.router.routes}


def test_every_command_api_route_is_in_the_table():
    assert command_api_routes() <= set(ALLOWED)


def test_permissions_md_is_rendered_from_the_table():
    document = Path(__file__).resolve().parents[3] / "base" / "PERMISSIONS.md"
    assert document.read_text() == render_markdown(), "run: python -m base.permissions > base/PERMISSIONS.md"


def test_every_role_in_the_table_is_a_known_role():
    assert set().union(*ALLOWED.values()) <= set(ROLES)
