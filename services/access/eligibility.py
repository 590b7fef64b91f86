"""Insurance eligibility behind one interface.

`EligibilityChecker.check(coverage, service_date)` answers verified / not
verified with a reason, or None when a person must decide. The default,
`ManualVerification`, always returns None: a scheduler phones the payer and
records the result (`record_verification`). `FhirEligibilityChecker` is the
shape of a real payer link: it sends a FHIR R4 CoverageEligibilityRequest
(purpose "validation") through a transport and reads the
CoverageEligibilityResponse. The transport is any callable from request JSON
to response JSON (an HTTP POST to the payer's endpoint in production).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from events.catalogue import Coverage


@dataclass(frozen=True)
class EligibilityAnswer:
    verified: bool
    detail: str
    method: str


class EligibilityChecker(Protocol):
    def check(self, coverage: Coverage, service_date: date) -> EligibilityAnswer | None: ...


class ManualVerification:
    """A person verifies: nothing is decided automatically."""

    def check(self, coverage: Coverage, service_date: date) -> EligibilityAnswer | None:
        return None


Transport = Callable[[dict[str, Any]], dict[str, Any]]


def eligibility_request(coverage: Coverage, service_date: date, provider_ref: str, insurer_ref: str) -> dict[str, Any]:
    """A FHIR R4 CoverageEligibilityRequest for one coverage on one date.
    The member id travels as the Coverage's identifier; no names are sent."""
    return {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": ["validation"],
        "patient": {"identifier": {"value": coverage.member_id}},
        "servicedDate": service_date.isoformat(),
        "created": date.today().isoformat(),
        "provider": {"reference": provider_ref},
        "insurer": {"reference": insurer_ref, "display": coverage.payer},
        "insurance": [
            {
                "focal": True,
                "coverage": {"identifier": {"value": coverage.member_id}, "display": coverage.plan or coverage.payer},
            }
        ],
    }


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

    def check(self, coverage: Coverage, service_date: date) -> EligibilityAnswer | None:
        request = eligibility_request(coverage, service_date, self.provider_ref, self.insurer_ref)
        return read_response(self.transport(request))
