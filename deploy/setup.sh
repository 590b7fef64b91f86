#!/usr/bin/env bash
# Install what edflow needs on a Debian machine, once: safe to run again.
# Used by deploy/demo.sh and deploy/test.sh; run it alone to prepare a machine.
#
#   Debian packages  postgresql, chromium, kcat (and Java, Maven, python3-venv
#                    if absent), installed only when missing
#   Python           .venv with `pip install -e ".[test]"` (repeated only when
#                    pyproject.toml changes); Playwright's Python package
#                    without its browser download: tests use /usr/bin/chromium
#   Kafka            the broker jars, from Maven Central (deploy/kafka.sh fetch)
#   axe-core         the accessibility checker the browser tests inject, from
#                    the npm registry into .cache/axe-core (never committed)
#   FHIR validator   the HAPI FHIR reference validator's jars, from Maven Central
#                    (deploy/fhir-validator.sh fetch), for the FHIR tests
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi

# --- Debian packages ------------------------------------------------------------

missing=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v kcat >/dev/null || missing+=(kcat)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
# The FHIR validator test runs a single-file Java program: that needs the compiler.
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)

if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    die "missing Debian packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# --- Python ---------------------------------------------------------------------

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  python3 -m venv .venv
fi
# pip's own resolver is slow even when nothing changes: remember what was
# installed, keyed by the dependency list, and skip when it is unchanged.
stamp=".venv/.edflow-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  say "installing edflow and its test dependencies into .venv"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  .venv/bin/python -c 'import playwright' 2>/dev/null ||
    .venv/bin/python -m pip install -q --disable-pip-version-check playwright
  echo "$wanted" > "$stamp"
else
  say "Python dependencies up to date"
fi

# --- Kafka ----------------------------------------------------------------------

bash deploy/kafka.sh fetch
bash deploy/fhir-validator.sh fetch

# --- axe-core (browser accessibility check) ---------------------------------------

axe_version="4.10.3"
axe_dir=".cache/axe-core/$axe_version"
if [[ ! -s "$axe_dir/axe.min.js" ]]; then
  command -v npm >/dev/null || die "npm is needed to fetch axe-core for the browser tests: apt-get install -y npm"
  say "fetching axe-core $axe_version with npm into $axe_dir"
  mkdir -p "$axe_dir"
  tarball="$(cd "$axe_dir" && npm pack --silent "axe-core@$axe_version")"
  tar -xzf "$axe_dir/$tarball" -C "$axe_dir" --strip-components=1 package/axe.min.js package/LICENSE
  rm -f "$axe_dir/$tarball"
else
  say "axe-core $axe_version present"
fi
say "ready"
