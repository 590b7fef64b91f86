"""The searches: each checks its parameters, gathers candidate resources
(one by identifier when given, else every one at the facility) and keeps
those that match every parameter.

A record a search cannot build or match (say, a time without a zone) is left
out, logged by its id (never its content) and counted in `SKIPPED`: one bad
record must not fail the search for everyone."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial

from services.access.availability import ResourceSchedule
from services.access.domainmodel import Appointment
from services.access.schedule_commands import schedule_aggregate_id
from services.ed.application import encounter_id_for
from services.ed.domainmodel import Bed, Encounter
from services.errors import NotFound
from services.fhir.appointment import appointment_resource
from services.fhir.coverage import coverage_by_aggregate, coverage_patient_mrn
from services.fhir.encounter import encounter_resource
from services.fhir.history import history
from services.fhir.location import location_by_id, location_resource
from services.fhir.schedule import schedule_by_aggregate
from services.fhir.search import (
    BadSearch,
    aggregate_ids,
    check_params,
    date_filter,
    facility_aggregates,
    reference_ids,
    tokens,
)  # fmt: skip
from services.fhir.slot import busy_slots

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
log = logging.getLogger("edflow.fhir")
# Records left out of searches because they could not be built or matched, by resource type.
SKIPPED: Counter[str] = Counter()
# What a damaged or out-of-range record raises while it is built or compared.
UNUSABLE = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def _skipped(kind: str, record_id: object, error: Exception) -> None:
    SKIPPED[kind] += 1
    log.error("FHIR %s search skipped record %s: %s", kind, record_id, type(error).__name__)


def _kept(kind: str, found: Iterable[dict], keep: Callable[[dict], object]) -> list[dict]:
    """The resources `keep` accepts; one it cannot judge is skipped."""
    kept = []
    for resource in found:
        try:
            if keep(resource):
                kept.append(resource)
        except UNUSABLE as error:
            _skipped(kind, resource.get("id"), error)
    return kept


def _one(find, kind: str = "", record_id: object = None) -> list[dict]:
    try:
        return [find()]
    except NotFound:
        return []
    except UNUSABLE as error:
        _skipped(kind, record_id, error)
        return []


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _every(hospital, cls: type, facility_id: str, build: Callable[[object], dict | None]) -> list[dict]:
    """Every aggregate of one kind at the facility, built as a resource (`build` is given its id)."""

    def built(aggregate_id: object) -> dict | None:
        found = _one(lambda: build(aggregate_id), cls.__name__, aggregate_id)
        return found[0] if found else None

    return [r for r in facility_aggregates(hospital, cls, facility_id, built) if r is not None]


def encounters(hospital, request, facility_id: str, who: bool) -> list[dict]:
    check_params(request, {"identifier", "status", "date"})
    statuses, in_range = tokens(request, "status", ENCOUNTER_STATUSES), date_filter(request)
    visits = tokens(request, "identifier")
    if visits is not None:
        ids = [str(encounter_id_for(facility_id, v)) for v in visits]
    else:
        ids = [str(i) for i in aggregate_ids(hospital, Encounter)]
    found = [
        r for i in ids for r in _one(lambda i=i: encounter_resource(hospital, facility_id, i, who), "Encounter", i)
    ]
    return _kept("Encounter", found, lambda r: (
        (statuses is None or r["status"] in statuses)
        and in_range(datetime.fromisoformat(r["period"]["start"]), _when(r["period"].get("end")))
    ))  # fmt: skip


def appointments(hospital, request, facility_id: str, who: bool) -> list[dict]:
    """`date` is on the start, as FHIR defines it for Appointment."""
    check_params(request, {"identifier", "status", "date", "practitioner"})
    statuses, in_range = tokens(request, "status", APPOINTMENT_STATUSES), date_filter(request)
    providers, ids = reference_ids(request, "practitioner", "Practitioner"), tokens(request, "identifier")
    if ids is not None:
        find = lambda i: appointment_resource(hospital, facility_id, i, who)  # noqa: E731
        found = [r for i in ids for r in _one(partial(find, i), "Appointment", i)]
    else:
        found = _every(hospital, Appointment, facility_id, lambda i: _appointment(hospital, facility_id, i, who))

    def attended_by(resource: dict) -> set[str]:
        return {
            p["actor"]["identifier"]["value"]
            for p in resource["participant"]
            if p.get("type") and "identifier" in p["actor"]
        }

    return _kept("Appointment", found, lambda r: (
        (statuses is None or r["status"] in statuses)
        and in_range(datetime.fromisoformat(r["start"]), _when(r["start"]))
        and (providers is None or attended_by(r) & providers)
    ))  # fmt: skip


def _appointment(hospital, facility_id: str, aggregate_id, who: bool) -> dict:
    _, recorded = history(hospital, aggregate_id, Appointment, facility_id, "appointment")
    return appointment_resource(hospital, facility_id, recorded[0].fact.appointment_id, who)


def locations(hospital, request, facility_id: str) -> list[dict]:
    check_params(request, {"identifier", "operational-status"})
    codes, beds = tokens(request, "operational-status", OPERATIONAL_CODES), tokens(request, "identifier")
    if beds is not None:
        found = [r for b in beds for r in _one(lambda b=b: location_resource(hospital, facility_id, b))]
    else:
        found = _every(hospital, Bed, facility_id, lambda i: location_by_id(hospital, facility_id, str(i)))
    return [r for r in found if codes is None or r["operationalStatus"]["code"] in codes]


def schedules(hospital, request, facility_id: str) -> list[dict]:
    check_params(request, {"actor", "service-type"})
    providers, kinds = reference_ids(request, "actor", "Practitioner"), tokens(request, "service-type")
    if providers is not None:
        found = [
            r for p in providers
            for r in _one(lambda p=p: schedule_by_aggregate(
                hospital, facility_id, schedule_aggregate_id(facility_id, "provider", p)))
        ]  # fmt: skip
    else:
        found = _every(hospital, ResourceSchedule, facility_id, partial(schedule_by_aggregate, hospital, facility_id))
    return [
        r for r in found if kinds is None or {c["code"] for s in r.get("serviceType", []) for c in s["coding"]} & kinds
    ]


def coverages(hospital, request, facility_id: str, who: bool) -> list[dict]:
    """By the beneficiary's MRN (`patient` and `beneficiary` are the same search here)."""
    check_params(request, {"patient", "beneficiary"})
    mrns = (reference_ids(request, "patient", "Patient") or set()) | (
        reference_ids(request, "beneficiary", "Patient") or set()
    )

    def coverage_of(aggregate_id) -> dict | None:
        if mrns and coverage_patient_mrn(hospital, facility_id, aggregate_id) not in mrns:
            return None
        return coverage_by_aggregate(hospital, facility_id, aggregate_id, who)  # NotFound (no coverage) is skipped

    return [r for r in facility_aggregates(hospital, Appointment, facility_id, coverage_of) if r is not None]


def slots(hospital, request, facility_id: str) -> list[dict]:
    check_params(request, {"schedule", "start"})
    schedules, days = reference_ids(request, "schedule", "Schedule"), tokens(request, "start")
    if schedules is None or days is None or len(days) != 1:
        raise BadSearch("Slot search needs schedule=Schedule/<provider id> and one start=YYYY-MM-DD")
    text = next(iter(days)).removeprefix("eq")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadSearch(f"start={text} is not a day (YYYY-MM-DD)") from None
    return [slot for provider_id in sorted(schedules) for slot in busy_slots(hospital, facility_id, provider_id, day)]
