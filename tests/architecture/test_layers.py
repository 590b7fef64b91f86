"""The architecture's rules, read from the code: imports point down only, no
module imports itself back through others, and nothing reads outside the
clone. A rule broken here is a design question first: move the code, or hand
it in from `deploy/`, rather than import sideways."""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("events", "base", "services", "projections", "dashboard", "deploy")
# What each package may import (besides itself and third-party code).
MAY_IMPORT = {
    "events": set(),
    "base": {"events"},
    "services": {"events", "base"},
    "projections": {"events", "base"},
    "dashboard": {"events", "base"},
    "deploy": {"events", "base", "services", "projections", "dashboard"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "bench" in path.relative_to(ROOT).parts:
                continue  # benchmarks are scripts that may borrow test helpers
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import, lazy ones inside functions included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def resolve(target: str, known: dict[str, Path]) -> str | None:
    """The project module an import names (`a.b.c` may be module `a.b` plus a name)."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for _, target in imports_of(path, name):
            module = resolve(target, known)
            if module and module != name and not name.startswith(module + "."):
                edges[name].add(module)
    return edges


def test_imports_point_down_only():
    known = modules()
    wrong = []
    for name, path in known.items():
        top = name.split(".")[0]
        for line, target in imports_of(path, name):
            other = target.split(".")[0]
            if other in PACKAGES and other != top and other not in MAY_IMPORT[top]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    me = Path(__file__).resolve().relative_to(ROOT).as_posix()
    return [ROOT / line for line in listed.splitlines() if not line.startswith("tests/fixtures/") and line != me]


def test_nothing_reads_outside_the_clone():
    """Samples live in tests/fixtures; no path leads out of the repository:
    no relative way up to a sibling folder, no absolute path into the folder
    the clone sits in (wherever that is)."""
    parent = re.escape(str(ROOT.parent).rstrip("/") + "/")
    outside = re.compile(rf"\.\./shared|shared/samples|(?<![\w./-]){parent}")
    found = []
    for path in tracked_files():
        if path.suffix not in {".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".js", ".html"} and path.name != "run":
            continue
        text = path.read_text(errors="replace")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in outside.finditer(text)]
    assert not found, "\n".join(found)
