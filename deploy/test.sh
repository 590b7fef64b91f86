#!/usr/bin/env bash
# Install everything and run edflow's whole test suite against the real
# things: a Kafka broker (deploy/kafka.sh), a PostgreSQL server
# (deploy/postgres.sh) and Chromium. Services this script starts are stopped
# at the end; ones that were already running are left alone.
#
#   bash deploy/test.sh [pytest arguments]
#
# Exit status is pytest's; "no tests collected" (5) counts as a failure.
# EDFLOW_JUNITXML=path writes a JUnit report. EDFLOW_KAFKA_PORT and
# EDFLOW_PG_PORT move the broker and the database off their default ports.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'test: %s\n' "$*" >&2; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi

bash deploy/setup.sh

# PostgreSQL runs as the 'postgres' user, which must reach its data
# directory: a checkout inside a private directory (mktemp -d, a home
# directory) gets its database data under /var/tmp instead.
pg_env=()
if [[ "$(id -u)" == 0 ]] && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
  pg_env=(EDFLOW_DATA_DIR="/var/tmp/edflow-test-$(printf '%s' "$root" | sha256sum | cut -c1-12)")
fi
# From / : the server refuses a working directory its user cannot enter.
postgres() { (cd / && env "${pg_env[@]}" bash "$root/deploy/postgres.sh" "$@"); }

started=()
stop_services() {
  local service
  for service in "${started[@]}"; do
    say "stopping $service"
    case "$service" in
      kafka) bash deploy/kafka.sh stop || true ;;
      postgres) postgres stop || true ;;
    esac
  done
}
trap stop_services EXIT

if bash deploy/kafka.sh status >/dev/null 2>&1; then
  say "Kafka already running; leaving it running afterwards"
else
  started+=(kafka)
  bash deploy/kafka.sh start
fi
export EDFLOW_KAFKA_BOOTSTRAP="127.0.0.1:${EDFLOW_KAFKA_PORT:-9092}"

if postgres status >/dev/null 2>&1; then
  say "PostgreSQL already running; leaving it running afterwards"
else
  started+=(postgres)
fi
EDFLOW_TEST_POSTGRES_DSN="$(postgres start)"
export EDFLOW_TEST_POSTGRES_DSN

junit=()
[[ -n "${EDFLOW_JUNITXML:-}" ]] && junit=(--junitxml="$EDFLOW_JUNITXML")

# Without arguments: every test, the fault harness's end-to-end run (about
# three minutes) included; `bash deploy/test.sh -m "not chaos" tests` leaves
# it out, `bash deploy/test.sh -m chaos tests/deploy` runs only it.
(($#)) || set -- tests
say "running pytest $*"
status=0
# A test module that cannot be imported fails the run, but the rest still
# runs: one CI run reports every failure.
.venv/bin/python -m pytest -p no:cacheprovider --continue-on-collection-errors "${junit[@]}" "$@" || status=$?
if ((status == 5)); then
  say "pytest collected no tests: that is a failure, not a pass"
fi
say "pytest exit status $status"
exit "$status"
