"""Who may do what: the one table of role rules.

`ALLOWED` maps every API route (by its route name) to the roles allowed to
call it; a route missing from this table is refused at start-up, a role
missing from a route's set gets 403. `PERMISSIONS.md` beside this file is
rendered from this table (`python -m base.permissions`), and a test
fails if the two drift apart.

Why these roles: intake registers arrivals and keeps demographics current;
charge nurses run the floor (beds, triage, moves); providers see and
disposition patients; schedulers own appointments and insurance; coordinators
watch (read only); auditors read everything, change nothing; admin does all.
"""

from __future__ import annotations

from typing import get_args

from base.auth import ROLES
from events.board import EntityKind

ADMIN = "admin"
FLOOR = frozenset({"charge-nurse", ADMIN})
EVERYONE_CLINICAL = frozenset({"intake", "charge-nurse", "provider", "coordinator", "auditor", ADMIN})

ALLOWED: dict[str, frozenset[str]] = {
    # beds
    "beds.register": FLOOR,
    "beds.read": EVERYONE_CLINICAL,
    "beds.release": FLOOR,
    "beds.cleaning-started": FLOOR,
    "beds.cleaned": FLOOR,
    "beds.block": FLOOR,
    "beds.unblock": FLOOR,
    # encounters
    "encounters.arrive": frozenset({"intake", "charge-nurse", ADMIN}),
    "encounters.read": EVERYONE_CLINICAL,
    "encounters.triage": frozenset({"charge-nurse", "provider", ADMIN}),
    "encounters.provider": frozenset({"charge-nurse", "provider", ADMIN}),
    "encounters.nurse": FLOOR,
    "encounters.bed": FLOOR,
    "encounters.admit-decision": frozenset({"provider", ADMIN}),
    "encounters.discharge": frozenset({"provider", "charge-nurse", ADMIN}),
    "encounters.ventilation": frozenset({"provider", "charge-nurse", ADMIN}),
    # placement: bed requests and inpatient beds
    "placement.request": frozenset({"provider", "charge-nurse", "bed-manager", ADMIN}),
    "placement.change": frozenset({"provider", "charge-nurse", "bed-manager", ADMIN}),
    "placement.assign": frozenset({"bed-manager", "charge-nurse", ADMIN}),
    "placement.ready": frozenset({"bed-manager", "charge-nurse", ADMIN}),
    "placement.cancel": frozenset({"provider", "bed-manager", ADMIN}),
    "placement.cancel-admission": frozenset({"provider", ADMIN}),
    "placement.release-bed": frozenset({"bed-manager", ADMIN}),
    "encounters.left-without-being-seen": frozenset({"intake", "charge-nurse", ADMIN}),
    "encounters.arrival-cancellation": frozenset({"intake", "charge-nurse", ADMIN}),
    "encounters.discharge-cancellation": frozenset({"provider", "charge-nurse", ADMIN}),
    "encounters.update": frozenset({"intake", "charge-nurse", ADMIN}),
    # appointments
    "appointments.book": frozenset({"scheduler", ADMIN}),
    "appointments.read": frozenset({"scheduler", "intake", "provider", "coordinator", "auditor", ADMIN}),
    "appointments.reschedule": frozenset({"scheduler", ADMIN}),
    "appointments.cancel": frozenset({"scheduler", ADMIN}),
    "appointments.check-in": frozenset({"scheduler", "intake", ADMIN}),
    "appointments.no-show": frozenset({"scheduler", ADMIN}),
    "appointments.complete": frozenset({"scheduler", "provider", ADMIN}),
    "appointments.insurance-verification": frozenset({"scheduler", ADMIN}),
    "appointments.insurance-verification-result": frozenset({"scheduler", ADMIN}),
    "appointments.insurance-payer-check": frozenset({"scheduler", ADMIN}),
    # the contact log: schedulers keep it; readers of appointments may read it
    "contacts.log": frozenset({"scheduler", ADMIN}),
    "contacts.cancel-call-back": frozenset({"scheduler", ADMIN}),
    "contacts.read-patient": frozenset({"scheduler", "auditor", ADMIN}),
    "contacts.read-appointment": frozenset({"scheduler", "auditor", ADMIN}),
    # the patient index: schedulers keep it (corrections, merges); readers search it
    "patients.search": frozenset({"scheduler", "intake", "auditor", ADMIN}),
    "patients.read": frozenset({"scheduler", "intake", "auditor", ADMIN}),
    "patients.correct": frozenset({"scheduler", ADMIN}),
    "patients.merge": frozenset({"scheduler", ADMIN}),
    # scheduling: schedules, availability, waitlist, preparation, work queue, reports
    **dict.fromkeys(
        (
            "scheduling.define-schedule",
            "scheduling.block-time",
            "scheduling.unblock-time",
            "scheduling.holiday",
            "scheduling.join-waitlist",
            "scheduling.accept-offer",
            "scheduling.decline-offer",
            "scheduling.leave-waitlist",
            "scheduling.modify",
            "scheduling.checklist",
            "scheduling.confirm",
            "scheduling.insurance-recheck",
        ),
        frozenset({"scheduler", ADMIN}),
    ),
    **dict.fromkeys(
        (
            "scheduling.availability",
            "scheduling.read-waitlist",
            "scheduling.work-queue",
            "scheduling.report-schedule",
            "scheduling.report-stats",
            "scheduling.directory",
            "scheduling.calendar",
            "scheduling.grid",
        ),
        frozenset({"scheduler", "auditor", ADMIN}),
    ),
    # the live board (dashboard): clinical roles and schedulers watch it;
    # display screens get only the PHI-free hallway view
    "board.watch": EVERYONE_CLINICAL | {"scheduler", "bed-manager"},
    "board.facilities": EVERYONE_CLINICAL | {"scheduler", "display", "bed-manager"},
    "board.history": EVERYONE_CLINICAL | {"scheduler"},
    "board.hallway": EVERYONE_CLINICAL | {"scheduler", "display"},
    # the API description (/openapi.json, when the docs are on): staff, not screens
    "api.docs": EVERYONE_CLINICAL | {"scheduler"},
    # the board as it stood at any past instant (an audited read)
    "board.replay": frozenset({"auditor", ADMIN}),
    # one patient's events across visits, by MRN (an audited read)
    "audit.patient-timeline": frozenset({"auditor", ADMIN}),
    # the ED's monthly quality measures (aggregates, no patient rows)
    "reports.measures": frozenset({"coordinator", "charge-nurse", "auditor", ADMIN}),
}

# Roles that see names, MRN and birth date in read endpoints; everyone else
# sees initials, age and sex (the minimum the job needs).
SEES_IDENTITY: dict[str, frozenset[str]] = {
    "encounters.read": frozenset({"provider", "intake", "auditor", ADMIN}),
    "appointments.read": frozenset({"scheduler", "provider", "intake", "auditor", ADMIN}),
    "scheduling.work-queue": frozenset({"scheduler", ADMIN}),
    "patients.search": frozenset({"scheduler", ADMIN}),
    "patients.read": frozenset({"scheduler", ADMIN}),
}


# What part of the live board a role sees (entity kinds); roles not listed see
# all of it. Schedulers run appointments, not the ED floor: no patients in beds.
BOARD_KINDS: dict[str, frozenset[str]] = {
    "scheduler": frozenset({"appointment", "schedule"}),
    # The bed manager places boarders: the patients, ED beds, capacity and inpatient units.
    "bed-manager": frozenset({"encounter", "bed", "capacity", "metrics", "inpatient-unit"}),
}


# The board's dead-letter alert ("N events could not be shown") is for those
# who run the floor and the board; it holds no patient data.
SEES_BOARD_ALERTS = frozenset({"coordinator", "charge-nurse", ADMIN})
ALERT_KIND = "alert"


# The only routes that need no token: they serve nothing about a patient.
PUBLIC = {
    "fhir.metadata": "`GET /fhir/R4/{facility}/metadata`: the FHIR CapabilityStatement",
    "fhir.bulk-publish": "`GET /fhir/R4/{facility}/$bulk-publish` and the `Location`, `Schedule` and `Slot` NDJSON "
    "files it lists: the clinics, the providers' schedules and their free slots of the next 14 days "
    "(SMART Scheduling Links); no appointment, patient or busy time",
}


def board_kinds(role: str) -> frozenset[str] | None:
    """The entity kinds `role` sees on the board; None: every kind."""
    kinds = BOARD_KINDS.get(role)
    if role in SEES_BOARD_ALERTS:
        return kinds
    return (kinds if kinds is not None else frozenset(get_args(EntityKind))) - {ALERT_KIND}


def is_allowed(route_name: str, role: str) -> bool:
    return role in ALLOWED.get(route_name, frozenset())


def sees_identity(route_name: str, role: str) -> bool:
    return role in SEES_IDENTITY.get(route_name, frozenset())


def render_markdown() -> str:
    """PERMISSIONS.md: the table above, one row per route, one column per role."""
    lines = [
        "# Who may call which edflow API route",
        "",
        "Rendered from `base/permissions.py` (`python -m base.permissions > base/PERMISSIONS.md`).",
        "The code enforces exactly this table: any other role gets 403. A token's `facilities`",
        "must also include the facility in the path (or `*`).",
        "",
        "| route | " + " | ".join(ROLES) + " |",
        "|---|" + "---|" * len(ROLES),
    ]
    for route, roles in ALLOWED.items():
        lines.append(f"| `{route}` | " + " | ".join("yes" if r in roles else "" for r in ROLES) + " |")
    lines += [
        "",
        "Patient identity (names, MRN, birth date) in read routes; other roles see initials, age and sex:",
        "",
    ]
    for route, roles in SEES_IDENTITY.items():
        lines.append(f"- `{route}`: " + ", ".join(r for r in ROLES if r in roles))
    lines += [
        "",
        "Parts of the live board (`board.watch`) limited by role; other roles see every entity kind"
        " but the alert below:",
        "",
    ]
    for role, kinds in BOARD_KINDS.items():
        lines.append(f"- `{role}`: " + ", ".join(sorted(kinds)))
    lines += ["", "The board's dead-letter alert (`alert`, no patient data) is shown only to:", ""]
    lines.append("- " + ", ".join(f"`{r}`" for r in ROLES if r in SEES_BOARD_ALERTS))
    lines += ["", "Routes that need no token (nothing in them is about a patient):", ""]
    lines += [f"- `{route}`: {what}" for route, what in PUBLIC.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
