"""The fault harness's verdict as tables: one row per fault (how long the
board stood still, the command error rate while it lasted) and one row per
check."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from deploy.chaos.checks import Check
from deploy.chaos.faults import Fault
from deploy.chaos.traffic import Ledger

PASS, FAIL = "[green]PASS[/]", "[red]FAIL[/]"


@dataclass
class FaultResult:
    fault: Fault
    still: float  # the longest the client's board stood still from the fault to the next
    failed: int
    attempts: int
    recovered: bool  # the board moved again after the victim was back


def longest_still(moves: list[float], start: float, end: float) -> float:
    """The longest span in [start, end] with no board change."""
    points = [start, *(m for m in moves if start < m < end), end]
    return max(b - a for a, b in zip(points, points[1:]))


def fault_results(faults: list[Fault], moves: list[float], ledger: Ledger) -> list[FaultResult]:
    results = []
    for fault in faults:
        failed, attempts = ledger.error_rate(fault.started, fault.ended)
        recovered = any(fault.restored <= m <= fault.ended for m in moves)
        results.append(
            FaultResult(fault, longest_still(moves, fault.started, fault.ended), failed, attempts, recovered)
        )
    return results


def fault_checks(results: list[FaultResult]) -> list[Check]:
    stuck = [f"{r.fault.kind} {r.fault.target}" for r in results if not r.recovered]
    recovered = f"{len(results) - len(stuck)} of {len(results)} faults recovered"
    return [
        Check(
            "board moved again after every fault",
            not stuck,
            recovered + (f"; not: {', '.join(stuck)}" if stuck else ""),
        )
    ]


def print_report(console: Console, results: list[FaultResult], baseline: float, checks: list[Check], t0: float) -> None:
    faults = Table(title="Faults", title_justify="left")
    for column, justify in (("#", "right"), ("fault", "left"), ("target", "left"), ("at s", "right"),
                            ("board still s", "right"), ("command errors", "right"), ("recovered", "left"),
                            ("notes", "left")):  # fmt: skip
        faults.add_column(column, justify=justify)  # type: ignore[arg-type]
    for n, r in enumerate(results, start=1):
        rate = f"{r.failed}/{r.attempts} ({100 * r.failed / r.attempts:.0f}%)" if r.attempts else "0/0"
        faults.add_row(
            str(n), r.fault.kind, r.fault.target, f"{r.fault.started - t0:.0f}", f"{r.still:.1f}", rate,
            PASS if r.recovered else FAIL, "; ".join(r.fault.notes),
        )  # fmt: skip
    faults.caption = f"baseline: the board stood still at most {baseline:.1f} s in the same run before any fault"
    console.print(faults)
    verdict = Table(title="Checks", title_justify="left")
    verdict.add_column("check")
    verdict.add_column("result")
    verdict.add_column("detail")
    for check in checks:
        verdict.add_row(check.name, PASS if check.passed else FAIL, check.detail)
    console.print(verdict)
