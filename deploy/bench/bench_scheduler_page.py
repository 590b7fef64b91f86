"""The scheduling desk's week view in headless Chromium: how long the page
takes to draw a department's week of 20 providers (about 1,600 slots, one
grid read), and to show a booking pushed by the board WebSocket (the push,
the reload of the week's grid, the redraw). Measured in the same run, as the
baseline: the day view of one provider (16 slots).

The page is the real one (dashboard/static); the API and the board socket
are answered in the browser by Playwright, so the figures are the page's own
cost, not the server's. Prints a table; asserts nothing.

    .venv/bin/python deploy/bench/bench_scheduler_page.py [--providers 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from playwright.sync_api import Route, WebSocketRoute, sync_playwright
from rich.console import Console
from rich.table import Table

STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static"
CHROMIUM = "/usr/bin/chromium"
ZONE_NAME = "America/Chicago"
ZONE = ZoneInfo(ZONE_NAME)
ORIGIN = "http://desk.bench"
TOKEN = "e30." + "eyJzdWIiOiJiZW5jaCIsInJvbGUiOiJzY2hlZHVsZXIiLCJmYWNpbGl0aWVzIjpbImJlbmNoIl19" + ".x"
HOURS = [(8, 12), (13, 17)]
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


class FakeDesk:
    """What the API and the board socket answer: a week of slots per provider."""

    def __init__(self, providers: int, monday: date):
        self.providers = [f"p{i:02d}" for i in range(providers)]
        self.monday = monday
        self.busy: set[tuple[str, str]] = set()
        self.appointments: list[dict] = []
        self.socket: WebSocketRoute | None = None
        self.seq = 1

    def directory(self) -> dict:
        return {
            "facility": {"id": "bench", "name": "Bench clinic", "time_zone": ZONE_NAME},
            "departments": [{"id": "clinic", "name": "Clinic"}],
            "rooms": [],
            "providers": [{"id": p, "name": f"Dr. {p}", "department": "clinic"} for p in self.providers],
            "appointment_types": [{"type": "outpatient-visit", "department": "clinic", "minutes": 30}],
        }

    def slots(self, provider: str, first: str, last: str) -> list[dict]:
        out, day = [], date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            for start_h, end_h in HOURS if day.weekday() < 5 else []:
                at = datetime(day.year, day.month, day.day, start_h, tzinfo=ZONE)
                while at.hour < end_h:
                    start = at.isoformat()
                    status = "busy" if (provider, start) in self.busy else "free"
                    out.append({"start": start, "end": (at + timedelta(minutes=30)).isoformat(), "status": status})
                    at += timedelta(minutes=30)
            day += timedelta(days=1)
        return out

    def grid(self, kind: str, resource: str, first: str, last: str) -> dict:
        """The grid read: one row per provider of the department (or the one provider)."""
        ids = self.providers if kind == "department" else [resource]
        rows = [
            {"kind": "provider", "id": p, "name": f"Dr. {p}", "department": "clinic"}
            | {"appointment_type": "outpatient-visit", "scheduled": True, "holidays": [], "blocks": []}
            | {"slots": self.slots(p, first, last)}
            for p in ids
        ]
        shown = [a for a in self.appointments if a["provider_id"] in ids]
        return {
            "kind": kind,
            "id": resource,
            "name": "Clinic",
            "from": first,
            "to": last,
            "rows": rows,
            "appointments": shown,
        }

    def answer(self, route: Route) -> None:
        url = urlparse(route.request.url)
        path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        if path == "/scheduler":
            route.fulfill(path=STATIC / "scheduler.html", content_type="text/html")
        elif path.startswith("/board/static/"):
            file = STATIC / path.removeprefix("/board/static/")
            route.fulfill(path=file, content_type=TYPES.get(file.suffix, "application/octet-stream"))
        elif path.endswith("/scheduling/directory"):
            route.fulfill(json=self.directory())
        elif "/scheduling/grid/" in path:
            kind, resource = path.rsplit("/", 2)[1:]
            route.fulfill(json=self.grid(kind, resource, query["from"], query.get("to", query["from"])))
        elif path.endswith("/scheduling/calendar"):
            route.fulfill(json={"from": query["from"], "to": query.get("to"), "appointments": self.appointments})
        elif path.endswith("/work-queue"):
            empty: dict = {"as_of": "", "today": {}, "offers_pending": []}
            kinds = ("unverified_coverage", "reminders_due", "no_shows_to_rebook", "checklists_open")
            route.fulfill(json={**empty, **{k: [] for k in kinds}})
        else:
            route.fulfill(status=404, body="")

    def connected(self, socket: WebSocketRoute) -> None:
        self.socket = socket
        socket.on_message(lambda message: None)
        self.send("snapshot", [])

    def send(self, kind: str, changes: list[dict]) -> None:
        assert self.socket is not None
        frame = {"type": kind, "seq": self.seq, "epoch": "bench", "as_of": datetime.now(ZONE).isoformat()}
        frame |= {"changes": changes, "stale_since": None, "time_zone": ZONE_NAME}
        self.socket.send(json.dumps(frame))

    def push_booking(self, provider: str, start: datetime) -> None:
        iso = start.isoformat()
        self.busy.add((provider, iso))
        value = {
            "department": "clinic",
            "appointment_type": "outpatient-visit",
            "start": iso,
            "end": (start + timedelta(minutes=30)).isoformat(),
            "status": "booked",
            "insurance": "unverified",
            "provider_id": provider,
            "initials": "B.P.",
        }
        self.appointments.append({**value, "appointment_id": f"b{self.seq}", "confirmed": False, "missing": []})
        self.seq += 1
        self.send("delta", [{"kind": "appointment", "id": f"agg-{self.seq}", "value": value}])


def run(providers: int, runs: int) -> None:
    today = datetime.now(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    desk = FakeDesk(providers, monday)
    rows: list[tuple[str, int, list[float], list[float], list[float]]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route(f"{ORIGIN}/**", desk.answer)
        context.route_web_socket(re.compile(r".*/ws/board(\?.*)?$"), desk.connected)
        page = context.new_page()
        page.goto(f"{ORIGIN}/scheduler")
        page.fill("#token", TOKEN)
        page.fill("#facility", "bench")
        page.press("#facility", "Enter")
        page.wait_for_selector("#connection[data-state=live]")
        page.click(".tab[data-view=calendar]")
        page.fill("#cal-day", monday.isoformat())
        views = (("day, 1 provider", desk.providers[0], 1), (f"week, {providers} providers", "", 7))
        for label, provider, span in views:
            page.select_option("#cal-provider", provider)
            page.select_option("#cal-span", str(span))
            last = (monday + timedelta(days=span - 1)).isoformat()
            count = len(desk.slots(desk.providers[0], monday.isoformat(), last)) * (1 if provider else providers)
            renders, draws, pushes = [], [], []
            for i in range(runs):
                page.fill("#cal-day", (monday + timedelta(days=7 * (i % 2))).isoformat())
                began = time.perf_counter()
                page.fill("#cal-day", monday.isoformat())
                page.dispatch_event("#cal-day", "change")
                drawn = (
                    f"document.querySelectorAll('#calendar .slot').length >= {count} && "
                    f"document.querySelector('#calendar .slot').dataset.day === '{monday.isoformat()}'"
                )
                page.wait_for_function(drawn, polling="raf")
                renders.append((time.perf_counter() - began) * 1000)
                draws.append(float(page.get_attribute("#calendar", "data-draw-ms") or "nan"))
                target = provider or desk.providers[-1]
                first_slot = datetime(monday.year, monday.month, monday.day, 8, tzinfo=ZONE)
                start = first_slot + timedelta(minutes=30 * (i + 1))
                selector = (
                    f"#calendar .slot[data-provider='{target}'][data-day='{monday.isoformat()}']"
                    f"[data-time='{start.strftime('%H:%M')}'][data-status=booked]"
                )
                began = time.perf_counter()
                desk.push_booking(target, start)
                page.wait_for_selector(selector, timeout=30_000)
                pushes.append((time.perf_counter() - began) * 1000)
            rows.append((label, count, renders, draws, pushes))
        browser.close()
    table = Table(title="scheduling desk in Chromium (ms; median / max)")
    for column in ("view", "slots", "load and render", "of which drawing", "pushed booking shown"):
        table.add_column(column, justify="right")
    for label, count, renders, draws, pushes in rows:
        table.add_row(
            label,
            str(count),
            f"{statistics.median(renders):.0f} / {max(renders):.0f}",
            f"{statistics.median(draws):.0f} / {max(draws):.0f}",
            f"{statistics.median(pushes):.0f} / {max(pushes):.0f}",
        )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    run(args.providers, args.runs)


if __name__ == "__main__":
    main()
