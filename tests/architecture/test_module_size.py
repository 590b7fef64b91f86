"""Modules stay small enough to read in one sitting: none over 300 lines.

A module past the limit is split by meaning. The only exceptions are modules
that merely declare (types, constants, tables: no function or method bodies),
each named below with the reason it is kept whole."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("events", "base", "services", "projections", "dashboard", "deploy", "tests")
MAX_LINES = 300
# Path from the repository root -> why this declaration module is kept whole.
DECLARATIONS: dict[str, str] = {}


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines())


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def declares_only(path: Path) -> bool:
    """True when the module defines no function or method: declarations only."""
    tree = ast.parse(path.read_text(), str(path))
    return not any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) for node in ast.walk(tree))


def test_no_module_is_over_the_line_limit():
    offenders = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in modules()
        if (lines := line_count(path)) > MAX_LINES and str(path.relative_to(ROOT)) not in DECLARATIONS
    ]
    print("\n".join(offenders))
    assert not offenders, f"modules over {MAX_LINES} lines (split them by meaning):\n" + "\n".join(offenders)


def test_the_allowed_long_modules_are_long_declaration_modules():
    """An exception is for a module that only declares and needs the room; one
    that shrank back under the limit, or gained code, leaves the list."""
    wrong = []
    for name in sorted(DECLARATIONS):
        path = ROOT / name
        if not path.is_file():
            wrong.append(f"{name}: no such module")
        elif line_count(path) <= MAX_LINES:
            wrong.append(f"{name}: {line_count(path)} lines, within the limit")
        elif not declares_only(path):
            wrong.append(f"{name}: defines functions, so it is not a declaration module")
    assert not wrong, "allow-list entries to remove:\n" + "\n".join(wrong)
