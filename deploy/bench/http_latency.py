"""One client's latency: a triage POST then an authorised GET of the same
visit, one after the other, in a process of its own so the client does not
compete with the server for its interpreter.

    python deploy/bench/http_latency.py BASE_URL TOKEN FACILITY < visit ids (JSON list)

Prints a JSON object: the POST and GET p50 in milliseconds (connection made,
and one request of each kind sent, before the clock starts).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import httpx

BODY = {"esi": 3, "occurred_at": "2026-03-02T08:01:00+00:00"}


def main() -> None:
    base, token, facility = sys.argv[1], sys.argv[2], sys.argv[3]
    visits: list[str] = json.loads(sys.stdin.read())
    path = f"/api/v1/facilities/{facility}/encounters"
    posts, gets = [], []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        client.get("/openapi.json")
        for n, visit in enumerate(visits):
            began = time.perf_counter()
            posted = client.post(f"{path}/{visit}/triage", json=BODY)
            posted_in = time.perf_counter() - began
            began = time.perf_counter()
            read = client.get(f"{path}/{visit}")
            read_in = time.perf_counter() - began
            if posted.status_code != 200 or read.status_code != 200:
                raise SystemExit(f"HTTP request failed: {posted.status_code} / {read.status_code}")
            if n:  # the first of each warms the server's caches
                posts.append(posted_in)
                gets.append(read_in)
    print(json.dumps({"post": statistics.median(posts) * 1000, "get": statistics.median(gets) * 1000}))


if __name__ == "__main__":
    main()
