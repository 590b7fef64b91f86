"""The fault harness's run: start the site, run traffic and a board client,
inject the faults in turn, stop the traffic, check, report, tear down."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deploy.chaos.board_watch import BoardWatch
from deploy.chaos.checks import Check, acknowledged_checks, board_checks, gap_check, store_counts, topic_counts
from deploy.chaos.faults import Fault, Injector, schedule
from deploy.chaos.report import fault_checks, fault_results, longest_still, print_report
from deploy.chaos.site import ORIGIN, Site, SiteError
from deploy.chaos.traffic import Traffic


@dataclass
class Options:
    counts: dict[str, int]
    down: float = 3.0  # how long a killed process stays down
    settle: float = 10.0  # after the board moved again, before the next fault
    recover: float = 90.0  # the longest to wait for the board to move again after a fault
    warmup: float = 15.0  # traffic before the first fault
    speed: float = 120.0  # simulated seconds per real second
    seed: int = 1
    kafka_port: int = 0
    postgres_dsn: str = ""
    max_seconds: float = 1200.0
    keep: Path | None = None
    console: Console = field(default_factory=Console)


def run(options: Options) -> bool:
    console = options.console
    began = time.monotonic()
    say = lambda line: console.print(f"[dim]chaos {time.monotonic() - began:5.0f} s:[/] {line}")  # noqa: E731
    root = options.keep or Path(tempfile.mkdtemp(prefix="edflow-chaos-"))
    site = Site(root, options.postgres_dsn, options.kafka_port, say)
    traffic: Traffic | None = None
    watch: BoardWatch | None = None
    try:
        site.start()
        settings = site.settings
        assert settings is not None
        api, board = (s.url for s in site.servers)
        order = schedule(options.counts)
        planned = options.warmup + len(order) * (options.settle + options.down + 15) + 120
        traffic = Traffic(settings, [api, board], options.speed, options.seed, planned).start()
        from base.auth import mint_token

        token = mint_token(settings, "chaos-board", "charge-nurse", [traffic.facility_id], 12 * 3600)
        watch = BoardWatch([board, api], traffic.facility_id, token, ORIGIN).start()
        say(f"traffic against {api}, board client on {board}; warming up {options.warmup:g} s")
        site.wait_for(lambda: bool(watch.record.moves()) or not traffic.alive, 120, "board frame")
        time.sleep(options.warmup)
        t0 = time.monotonic()
        baseline = longest_still(watch.record.moves(), watch.record.moves()[0], t0)
        faults: list[Fault] = []
        injector = Injector(site, options.down)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("faults", total=len(order))
            for kind in order:
                if time.monotonic() - began > options.max_seconds or not traffic.alive:
                    break
                progress.update(task, description=f"fault: {kind}")
                faults.append(injector.inject(kind))
                _wait_for_board(watch, faults[-1].restored, options.recover)
                time.sleep(options.settle)
                faults[-1].ended = time.monotonic()
                progress.advance(task)
        traffic.stop()
        say(f"traffic stopped: {traffic.ledger.commands} commands acknowledged; checking")
        checks = _traffic_checks(traffic, len(faults), len(order))
        stored = store_counts(settings)
        published = asyncio.run(topic_counts(settings))
        deadline = time.monotonic() + 60
        while any(published[e] == 0 for e in stored) and time.monotonic() < deadline:
            time.sleep(2)  # the relay may still be publishing the last commands
            stored, published = store_counts(settings), asyncio.run(topic_counts(settings))
        checks += acknowledged_checks(traffic.ledger.acknowledged, stored, published)
        servers = {s.name: s.url for s in site.servers}
        checks += board_checks(settings, traffic.facility_id, servers, token, ORIGIN, watch.record, wait=90)
        watch.stop()
        checks.append(gap_check(watch.record))
        results = fault_results(faults, watch.record.moves(), traffic.ledger)
        checks += fault_checks(results)
        print_report(console, results, baseline, checks, t0)
        passed = all(c.passed for c in checks)
        console.print("[green]all checks passed[/]" if passed else "[red]some checks failed[/]")
        return passed
    finally:
        if traffic is not None:
            traffic.stop()
        if watch is not None:
            watch.stop()
        site.close()
        if options.keep is None:
            site.remove()
        else:
            say(f"logs kept in {root / 'logs'}")


def _wait_for_board(watch: BoardWatch, after: float, timeout: float) -> None:
    """Until the board moves again after `after` (or `timeout` passes: the
    fault is then reported as not recovered)."""
    try:
        Site.wait_for(lambda: (watch.record.moves() or [0.0])[-1] > after, timeout, "board change")
    except SiteError:
        pass


def _traffic_checks(traffic: Traffic, done: int, planned: int) -> list[Check]:
    counts = traffic.client.counts
    error = f"; stopped early: {type(traffic.error).__name__}: {traffic.error}" if traffic.error else ""
    return [
        Check("every planned fault injected", done == planned, f"{done} of {planned}"),
        Check(
            "traffic ran throughout, no unexpected answer",
            traffic.error is None and counts.unexpected_total == 0,
            f"{counts.sent} commands sent, {counts.succeeded} 2xx, {counts.conflicts} 409 (simulated staff "
            f"racing), {counts.unexpected_total} other{error}",
        ),
    ]
