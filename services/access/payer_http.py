"""The payer over HTTP: POST a FHIR CoverageEligibilityRequest, get the
CoverageEligibilityResponse back.

One attempt per check, with a bounded timeout and no retries: a payer that
is down is reported to the scheduler at once (`PayerUnavailable`, 504 when it
did not answer in time, 502 for anything else unusable), not hammered.
Nothing of the request or the answer is logged: both carry patient data.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from base.settings import Settings
from services.access.eligibility import FhirEligibilityChecker
from services.errors import PayerUnavailable

log = logging.getLogger("edflow.payer")
FHIR_JSON = "application/fhir+json"


class HttpPayer:
    """A transport for `FhirEligibilityChecker`: request JSON in, response JSON out."""

    def __init__(self, url: str, token: str = "", timeout_seconds: float = 10.0):
        self.url, self.timeout_seconds = url, timeout_seconds
        headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # httpx retries nothing by default; follow no redirects off the configured endpoint.
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_seconds), headers=headers, follow_redirects=False)

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(self.url, json=request)
        except httpx.TimeoutException:
            log.warning("payer did not answer within %g s", self.timeout_seconds)
            raise PayerUnavailable(f"payer did not answer in {self.timeout_seconds:g} s", status=504) from None
        except httpx.HTTPError as failed:
            log.warning("payer could not be reached: %s", type(failed).__name__)
            raise PayerUnavailable(f"payer could not be reached ({_why(failed)})") from None
        if response.status_code >= 500:
            raise PayerUnavailable(f"payer failed to answer (HTTP {response.status_code})")
        if response.status_code >= 300:
            raise PayerUnavailable(f"payer refused the request (HTTP {response.status_code})")
        try:
            body = response.json()
        except ValueError:
            raise PayerUnavailable("payer answered with a body that is not JSON") from None
        if not isinstance(body, dict) or body.get("resourceType") != "CoverageEligibilityResponse":
            raise PayerUnavailable("payer answered with something other than a CoverageEligibilityResponse")
        return body

    def close(self) -> None:
        self.client.close()


def _why(failed: httpx.HTTPError) -> str:
    if isinstance(failed, httpx.ConnectError):
        return "connection refused or host unknown"
    return type(failed).__name__


def payer_checker(settings: Settings) -> tuple[FhirEligibilityChecker, HttpPayer] | None:
    """The configured payer link (`EDFLOW_ELIGIBILITY_URL`), or None: manual verification."""
    if not settings.eligibility_url:
        return None
    transport = HttpPayer(settings.eligibility_url, settings.eligibility_token, settings.eligibility_timeout_seconds)
    return FhirEligibilityChecker(transport), transport
