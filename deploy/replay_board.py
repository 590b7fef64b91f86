"""Rich tables for `edflow replay`: the board as a coordinator would read it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    hours, minutes = divmod(int(round(value)), 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


def _waiting(view: dict[str, Any]) -> Table:
    table = Table(title=f"Waiting room ({len(view['waiting'])})", title_justify="left")
    for column in ("ESI", "visit", "pt", "age", "complaint", "waited", "flags"):
        table.add_column(column)
    for row in view["waiting"]:
        flags = " ".join(f for f, on in (("UNTRIAGED", row["untriaged"]), ("OVER TARGET", row["over_target"])) if on)
        table.add_row(
            str(row["esi"] or "-"),
            row["visit_number"],
            row["initials"],
            str(row["age_years"] or "-"),
            row["chief_complaint"],
            _minutes(row["waited_minutes"]),
            flags,
        )
    return table


def _beds(view: dict[str, Any]) -> Table:
    table = Table(title="Bed board", title_justify="left")
    for column in ("unit", "bed", "status", "for", "visit / reason"):
        table.add_column(column)
    for unit, beds in view["beds"].items():
        for bed in beds:
            detail = bed["encounter_id"] or bed["reason"] or ""
            table.add_row(unit, bed["bed_id"], bed["status"], _minutes(bed["minutes_in_state"]), detail)
    return table


def _capacity(view: dict[str, Any]) -> Table:
    capacity = view["capacity"] or {}
    table = Table(title="Capacity and crowding", title_justify="left", show_header=False)
    for name in (
        "census",
        "beds_total",
        "beds_occupied",
        "beds_available",
        "beds_dirty",
        "beds_blocked",
        "waiting",
        "untriaged",
        "boarders",
    ):
        table.add_row(name.replace("_", " "), str(capacity.get(name, "-")))
    table.add_row("longest boarding", _minutes(capacity.get("longest_boarding_minutes")))
    nedocs = capacity.get("nedocs") or {}
    table.add_row("NEDOCS", f"{nedocs.get('score', '-')} ({nedocs.get('band', '-')})")
    table.add_row("NEDOCS variant", str(nedocs.get("variant", "-")))
    return table


def _metrics(view: dict[str, Any]) -> Table:
    table = Table(title="Flow metrics (median / p90, n)", title_justify="left")
    table.add_column("interval")
    names = [n for n, v in view["metrics"].items() if v]
    for name in names:
        table.add_column(name + (f" {view['metrics'][name]['day']}" if "day" in view["metrics"][name] else ""))
    for interval in ("door_to_triage", "door_to_provider", "los_discharged", "los_admitted", "boarding"):
        cells = []
        for name in names:
            figures = view["metrics"][name][interval]
            cells.append(f"{_minutes(figures['median_minutes'])} / {_minutes(figures['p90_minutes'])}, {figures['n']}")
        table.add_row(interval.replace("_", " "), *cells)
    rates = []
    for name in names:
        m = view["metrics"][name]
        rate = "-" if m["lwbs_rate"] is None else f"{m['lwbs_rate']:.1%}"
        rates.append(f"{rate} ({m['lwbs']} of {m['visits']})")
    table.add_row("LWBS rate", *rates)
    return table


def print_board(view: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(
        f"[bold]{view['facility_id']}[/] as of {view['as_of']} "
        f"(events {view['by']} by then, from the {view['source']}); "
        f"{view['events_folded']} of {view['events_read']} events folded; last event at {view['last_event_at'] or '-'}"
    )
    for table in (_waiting(view), _beds(view), _capacity(view), _metrics(view)):
        console.print(table)
