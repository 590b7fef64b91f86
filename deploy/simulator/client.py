"""A small client of edflow's HTTP command API, as a program driving it
(the simulator) uses it: one token per role, every reply counted.

Counts and error summaries never include request bodies or reply messages
beyond the stable error code, so nothing about a patient reaches a log.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

# Identifiers in paths (UUIDs, bed codes) are collapsed so that error
# summaries group by endpoint.
_PATH_IDS = re.compile(r"/(beds|encounters|appointments)/[^/]+")


def _where(path: str) -> str:
    return _PATH_IDS.sub(lambda m: f"/{m.group(1)}/{{id}}", path)


class ApiUnavailable(RuntimeError):
    """The API did not answer (connection refused, timeouts) after retries."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("code", "")) if isinstance(error, dict) else ""

    @property
    def error_details(self) -> dict[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        details = error.get("details") if isinstance(error, dict) else None
        return details if isinstance(details, dict) else {}


@dataclass
class CommandCounts:
    sent: int = 0
    succeeded: int = 0
    conflicts: int = 0
    conflict_codes: Counter[str] = field(default_factory=Counter)
    # Anything but success or 409 means the client or the server is wrong.
    unexpected: Counter[str] = field(default_factory=Counter)

    @property
    def unexpected_total(self) -> int:
        return sum(self.unexpected.values())


class CommandClient:
    def __init__(
        self, base_url: str, facility_id: str, tokens: Mapping[str, str], timeout: float = 30.0, retries: int = 5
    ):
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self._prefix = f"/api/v1/facilities/{facility_id}"
        self._tokens = tokens
        self._retries = retries
        self._answered = False
        self.counts = CommandCounts()

    def close(self) -> None:
        self._http.close()

    def get(self, role: str, path: str) -> Reply:
        return self._request("GET", role, path, None)

    def send(self, role: str, method: str, path: str, body: dict[str, Any]) -> Reply:
        reply = self._request(method, role, path, body)
        self.counts.sent += 1
        if reply.ok:
            self.counts.succeeded += 1
        elif reply.status == 409:
            self.counts.conflicts += 1
            self.counts.conflict_codes[f"{reply.error_code or '-'} {method} {_where(path)}"] += 1
        else:
            self.counts.unexpected[f"{reply.status} {reply.error_code or '-'} {method} {_where(path)}"] += 1
        return reply

    def _request(self, method: str, role: str, path: str, body: dict[str, Any] | None) -> Reply:
        headers = {"Authorization": f"Bearer {self._tokens[role]}"}
        delay = 0.2
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, self._prefix + path, json=body, headers=headers)
                break
            except httpx.TransportError as error:
                # Mid-run, ride out a server restart. A retried POST may have
                # been recorded once already; the 409 it then gets is counted
                # like any other conflict. Before any answer, fail at once.
                if attempt == self._retries or not self._answered:
                    raise ApiUnavailable(f"{type(error).__name__} from {self._http.base_url}") from None
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        self._answered = True
        try:
            parsed = response.json()
        except ValueError:
            parsed = {}
        return Reply(response.status_code, parsed if isinstance(parsed, dict) else {})
