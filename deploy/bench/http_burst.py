"""POST a burst of triage commands from several keep-alive clients, in a
process of its own so the clients do not share the server's interpreter.

    python deploy/bench/http_burst.py BASE_URL TOKEN FACILITY CLIENTS < visit ids (JSON list)

Prints the seconds the burst took (clients connected before the clock starts).
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

BODY = {"esi": 3, "occurred_at": "2026-03-02T08:01:00+00:00"}


def main() -> None:
    base, token, facility, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    visits: list[str] = json.loads(sys.stdin.read())
    headers = {"Authorization": f"Bearer {token}"}
    pool = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(clients)]
    for client in pool:
        client.get("/openapi.json")
    path = f"/api/v1/facilities/{facility}/encounters"

    def post(n: int) -> None:
        for visit in visits[n::clients]:
            response = pool[n].post(f"{path}/{visit}/triage", json=BODY)
            if response.status_code != 200:
                raise SystemExit(f"HTTP command failed ({response.status_code}): {response.text}")

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as workers:
        list(workers.map(post, range(clients)))
    print(time.perf_counter() - began)


if __name__ == "__main__":
    main()
