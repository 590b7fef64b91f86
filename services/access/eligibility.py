"""Insurance eligibility behind one interface.

`EligibilityChecker.check(coverage, service_date)` answers verified / not
verified with a reason, or None when a person must decide. The default,
`ManualVerification`, always returns None: a scheduler phones the payer and
records the result (`record_verification`). `FhirEligibilityChecker` is the
shape of a real payer link: it sends a FHIR R4 CoverageEligibilityRequest
(purpose "validation") through a transport and reads the
CoverageEligibilityResponse. The transport is any callable from request JSON
to response JSON: `services.access.payer_http.HttpPayer` POSTs it to the
payer's endpoint (`EDFLOW_ELIGIBILITY_URL`) and raises `PayerUnavailable`
when no usable answer comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from events.catalogue import Coverage, Person


@dataclass(frozen=True)
class EligibilityAnswer:
    verified: bool
    detail: str
    method: str


class EligibilityChecker(Protocol):
    def check(
        self, coverage: Coverage, service_date: date, patient: Person | None = None, reference: str = ""
    ) -> EligibilityAnswer | None: ...


class ManualVerification:
    """A person verifies: nothing is decided automatically."""

    def check(
        self, coverage: Coverage, service_date: date, patient: Person | None = None, reference: str = ""
    ) -> EligibilityAnswer | None:
        return None


Transport = Callable[[dict[str, Any]], dict[str, Any]]


MEMBER = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]}
REQUEST_SYSTEM = "urn:edflow:appointment"


def _patient(coverage: Coverage, patient: Person | None) -> dict[str, Any]:
    """The patient as the payer knows them: member id, birth date and sex; no names."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": "patient",
        "identifier": [{"type": MEMBER, "value": coverage.member_id}],
    }
    if patient is not None:
        resource["gender"] = {"M": "male", "F": "female", "O": "other"}.get(patient.sex, "unknown")
        if patient.birth_date is not None:
            resource["birthDate"] = patient.birth_date.isoformat()
    return resource


def _coverage(coverage: Coverage) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": "coverage",
        "status": "active",
        "identifier": [{"type": MEMBER, "value": coverage.member_id}],
        "subscriberId": coverage.member_id,
        "beneficiary": {"reference": "#patient"},
        "payor": [{"display": coverage.payer}],
    }
    if coverage.plan:
        resource["class"] = [{"type": {"coding": [{"code": "plan"}]}, "value": coverage.plan}]
    period = {k: v.isoformat() for k, v in (("start", coverage.effective_from), ("end", coverage.effective_to)) if v}
    if period:
        resource["period"] = period
    return resource


def eligibility_request(
    coverage: Coverage,
    service_date: date,
    provider_ref: str,
    insurer_ref: str,
    patient: Person | None = None,
    reference: str = "",
) -> dict[str, Any]:
    """A FHIR R4 CoverageEligibilityRequest for one coverage on one date.
    Patient and Coverage travel contained: member id, birth date and sex,
    never names. `reference` (facility/appointment) identifies the request."""
    request: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "contained": [_patient(coverage, patient), _coverage(coverage)],
        "status": "active",
        "purpose": ["validation"],
        "patient": {"reference": "#patient", "identifier": {"value": coverage.member_id}},
        "servicedDate": service_date.isoformat(),
        "created": date.today().isoformat(),
        "provider": {"reference": provider_ref},
        "insurer": {"reference": insurer_ref, "display": coverage.payer},
        "insurance": [
            {
                "focal": True,
                "coverage": {
                    "reference": "#coverage",
                    "identifier": {"value": coverage.member_id},
                    "display": coverage.plan or coverage.payer,
                },
            }
        ],
    }
    if reference:
        request["identifier"] = [{"system": REQUEST_SYSTEM, "value": reference}]
    return request


def read_response(response: dict[str, Any]) -> EligibilityAnswer:
    """Verified only when the payer completed the check and says the coverage is in force."""
    if response.get("resourceType") != "CoverageEligibilityResponse":
        return EligibilityAnswer(
            False, "payer answered with something other than a CoverageEligibilityResponse", "fhir"
        )
    outcome = response.get("outcome")
    disposition = str(response.get("disposition") or "")
    if outcome != "complete":
        errors = [e.get("code", {}).get("text") or "" for e in response.get("error", [])]
        reason = "; ".join(e for e in errors if e) or disposition or f"payer outcome {outcome}"
        return EligibilityAnswer(False, reason, "fhir")
    in_force = [i.get("inforce") for i in response.get("insurance", [])]
    reference = next((i.get("value", "") for i in response.get("identifier", [])), "")
    if in_force and all(in_force):
        return EligibilityAnswer(True, reference or disposition, "fhir")
    return EligibilityAnswer(False, disposition or "coverage not in force", "fhir")


class FhirEligibilityChecker:
    def __init__(
        self, transport: Transport, provider_ref: str = "Organization/edflow", insurer_ref: str = "Organization/payer"
    ):
        self.transport, self.provider_ref, self.insurer_ref = transport, provider_ref, insurer_ref

    def check(
        self, coverage: Coverage, service_date: date, patient: Person | None = None, reference: str = ""
    ) -> EligibilityAnswer | None:
        request = eligibility_request(coverage, service_date, self.provider_ref, self.insurer_ref, patient, reference)
        return read_response(self.transport(request))
