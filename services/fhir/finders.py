"""The searches: each checks its parameters and returns its matches at the
facility, oldest first, from the search index. Visits and appointments are
matched on the index's values and built only when their page is sent; beds,
schedules and coverage (a handful per facility) are built and matched here."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from uuid import UUID

from services.access.availability import ResourceSchedule
from services.access.domainmodel import Appointment
from services.access.schedule_commands import schedule_aggregate_id
from services.ed.application import bed_aggregate_id, encounter_id_for
from services.ed.domainmodel import Bed
from services.errors import NotFound
from services.fhir.appointment import appointment_resource
from services.fhir.bundle import SKIPPED as SKIPPED  # the count of records searches left out
from services.fhir.bundle import UNUSABLE, Match, Paged, ready, skipped
from services.fhir.coverage import coverage_by_aggregate, coverage_patient_mrn
from services.fhir.encounter import encounter_resource
from services.fhir.index import AppointmentKeys, Listed, SearchIndex, VisitKeys
from services.fhir.location import location_by_id
from services.fhir.schedule import schedule_by_aggregate
from services.fhir.search import check_params, date_tests, period_filter, reference_ids, tokens
from services.fhir.selecting import select
from services.fhir.slot import TYPE_CODES
from services.fhir.table import Table

ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}
APPOINTMENT_STATUSES = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow",
                        "entered-in-error", "checked-in", "waitlist"}  # fmt: skip
OPERATIONAL_CODES = {"C", "H", "I", "K", "O", "U"}  # HL7 table 0116


def _built(candidates: list[Listed], build: Callable[[UUID], dict | None]) -> list[Match]:
    """Candidates built now (those `build` drops or cannot find are left out)."""
    found = []
    for candidate in candidates:
        try:
            resource = build(candidate.id)
        except NotFound:
            continue
        except UNUSABLE as error:
            skipped("resource", candidate.id, error)
            continue
        if resource is not None:
            found.append(Match(candidate.position, ready(resource)))
    return found


def encounters(hospital, request, facility_id: str, who: bool, index: SearchIndex) -> Paged:
    check_params(request, {"identifier", "status", "date"})
    statuses, tests = tokens(request, "status", ENCOUNTER_STATUSES), date_tests(request)
    visits, in_range = tokens(request, "identifier"), period_filter(tests)
    wanted = None if visits is None else {encounter_id_for(facility_id, v) for v in visits}

    def keep(k: VisitKeys) -> bool:
        return (
            (wanted is None or k.id in wanted)
            and (statuses is None or k.status in statuses)
            and in_range(k.start, k.end)
        )

    def find(table: Table[VisitKeys]) -> list[int]:
        only = None if wanted is None else [table.rows[i].position for i in wanted if i in table.rows]
        return select("Encounter", table, keep, [("status", statuses)], tests, only)

    positions, table = index.visits(facility_id, find)

    def match(position: int) -> Match:
        k = table.at[position]
        return Match(
            position,
            partial(index.built, k.id, who, partial(encounter_resource, hospital, facility_id, str(k.id), who)),
        )

    return Paged(positions, match)


def appointments(hospital, request, facility_id: str, who: bool, index: SearchIndex) -> Paged:
    """`date` is on the start, as FHIR defines it for Appointment."""
    check_params(request, {"identifier", "status", "date", "practitioner"})
    statuses, tests = tokens(request, "status", APPOINTMENT_STATUSES), date_tests(request)
    providers, ids = reference_ids(request, "practitioner", "Practitioner"), tokens(request, "identifier")
    in_range = period_filter(tests)

    def keep(k: AppointmentKeys) -> bool:
        return (
            (ids is None or k.appointment_id in ids)
            and (statuses is None or k.status in statuses)
            and in_range(k.start, k.start)
            and (providers is None or k.provider_id in providers)
        )

    def find(table: Table[AppointmentKeys]) -> list[int]:
        only = None if ids is None else table.having("identifier", ids)
        return select("Appointment", table, keep, [("status", statuses), ("practitioner", providers)], tests, only)

    positions, table = index.appointments(facility_id, find)

    def match(position: int) -> Match:
        k = table.at[position]
        build = partial(appointment_resource, hospital, facility_id, k.appointment_id, who)
        return Match(position, partial(index.built, k.id, who, build))

    return Paged(positions, match)


def locations(hospital, request, facility_id: str, index: SearchIndex) -> list[Match]:
    check_params(request, {"identifier", "operational-status"})
    codes, beds = tokens(request, "operational-status", OPERATIONAL_CODES), tokens(request, "identifier")
    wanted = None if beds is None else {bed_aggregate_id(facility_id, b) for b in beds}
    candidates = [c for c in index.listed(facility_id, Bed) if wanted is None or c.id in wanted]
    found = _built(candidates, lambda i: location_by_id(hospital, facility_id, str(i)))
    return [m for m in found if codes is None or m.build()["operationalStatus"]["code"] in codes]


def schedules(hospital, request, facility_id: str, index: SearchIndex) -> list[Match]:
    check_params(request, {"actor", "service-type", "active"})
    providers, kinds = reference_ids(request, "actor", "Practitioner"), tokens(request, "service-type", set(TYPE_CODES))
    if tokens(request, "active", {"true", "false"}) == {"false"}:
        return []  # every schedule served is active
    wanted = None if providers is None else {schedule_aggregate_id(facility_id, "provider", p) for p in providers}
    candidates = [c for c in index.listed(facility_id, ResourceSchedule) if wanted is None or c.id in wanted]
    found = _built(candidates, partial(schedule_by_aggregate, hospital, facility_id))
    return [
        m for m in found
        if kinds is None or {c["code"] for s in m.build().get("serviceType", []) for c in s["coding"]} & kinds
    ]  # fmt: skip


def coverages(hospital, request, facility_id: str, who: bool, index: SearchIndex) -> list[Match]:
    """By the beneficiary's MRN (`patient` and `beneficiary` are the same search here)."""
    check_params(request, {"patient", "beneficiary"})
    mrns = (reference_ids(request, "patient", "Patient") or set()) | (
        reference_ids(request, "beneficiary", "Patient") or set()
    )

    def coverage_of(aggregate_id) -> dict | None:
        if mrns and coverage_patient_mrn(hospital, facility_id, aggregate_id) not in mrns:
            return None
        return coverage_by_aggregate(hospital, facility_id, aggregate_id, who)  # NotFound (no coverage) is skipped

    return _built(index.listed(facility_id, Appointment), coverage_of)
