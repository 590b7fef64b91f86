#!/usr/bin/env bash
# The house style and the type checker, as CI runs them before the tests:
# ruff (lint and format check) and mypy, configured in pyproject.toml.
#
#   bash deploy/lint.sh          check only; exit 1 on any finding
#   bash deploy/lint.sh --fix    let ruff fix and format what it can first
#
# Needs the .venv that deploy/setup.sh makes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'lint: %s\n' "$*" >&2; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi
[[ -x .venv/bin/ruff && -x .venv/bin/mypy ]] || { say "no .venv with ruff and mypy: run bash deploy/setup.sh first"; exit 2; }

if [[ "${1:-}" == "--fix" ]]; then
  .venv/bin/ruff check --fix --quiet . || true
  .venv/bin/ruff format --quiet .
fi

status=0
say "ruff check"
.venv/bin/ruff check . || status=1
say "ruff format --check"
.venv/bin/ruff format --check . || status=1
say "mypy"
.venv/bin/mypy || status=1
((status == 0)) && say "clean" || say "findings above: fix them (bash deploy/lint.sh --fix does what ruff can)"
exit "$status"
