#!/usr/bin/env bash
# The whole of edflow on one machine, with a simulated emergency department:
# installs what is missing, starts Kafka, creates the topics, registers the
# demo hospital's beds, then runs the outbox relay, the projection worker,
# the HTTP server (API + board), the reminders process and the simulator
# (60x: one simulated hour per real minute). Logs go to var/logs/. Ctrl-C
# stops everything it started.
#
#   bash deploy/demo.sh
#
# EDFLOW_HTTP_PORT moves the server off port 8000; EDFLOW_DEMO_SPEED,
# EDFLOW_DEMO_WARMUP and EDFLOW_DEMO_SEED tune the simulator (default 60,
# 4h of unpaced history so the board is busy from the first minute, and a
# new seed each start).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'demo: %s\n' "$*" >&2; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 0
fi

bash deploy/setup.sh
edflow=("$root/.venv/bin/edflow")
# The data directory holds patient data (store, logs, broker data): owner-only.
umask 077
data="${EDFLOW_DATA_DIR:-$root/var}"
logs="$data/logs"
mkdir -p "$logs"
chmod go-rwx "$data" "$logs" 2>/dev/null || say "warning: cannot restrict $data to its owner"
# The simulator runs ahead of the wall clock (60x): let the server accept
# its event times.
export EDFLOW_MAX_FUTURE_SECONDS="${EDFLOW_MAX_FUTURE_SECONDS:-31536000}"
host="${EDFLOW_HTTP_HOST:-127.0.0.1}"
port="${EDFLOW_HTTP_PORT:-8000}"
url="http://$host:$port"
# The API docs (/docs, signed in) are off unless asked for; the demo asks.
export EDFLOW_API_DOCS="${EDFLOW_API_DOCS:-true}"
# The board's WebSocket accepts only pages served from known origins.
if [[ -z "${EDFLOW_ALLOWED_ORIGINS:-}" ]]; then
  export EDFLOW_ALLOWED_ORIGINS="[\"http://127.0.0.1:$port\", \"http://localhost:$port\", \"$url\"]"
fi

names=()
pids=()
started_kafka=0

stop_all() {
  trap - INT TERM EXIT
  local i pid
  # Newest first: the simulator stops sending before the server goes away,
  # the relay last so everything recorded has a chance to be published.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping ${names[i]} (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { say "${names[i]} still running after 10 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
      wait "$pid" 2>/dev/null || true
    fi
  done
  if ((started_kafka)); then
    bash deploy/kafka.sh stop || true
  fi
  say "stopped"
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

run_in_background() {
  local name="$1"
  shift
  "$@" >>"$logs/$name.log" 2>&1 &
  names+=("$name")
  pids+=("$!")
  say "$name started (pid $!, log $logs/$name.log)"
}

# EDFLOW_KAFKA_BOOTSTRAP naming another machine means an existing cluster:
# no local broker then.
export EDFLOW_KAFKA_BOOTSTRAP="${EDFLOW_KAFKA_BOOTSTRAP:-127.0.0.1:${EDFLOW_KAFKA_PORT:-9092}}"
case "$EDFLOW_KAFKA_BOOTSTRAP" in
  127.0.0.1:* | localhost:*)
    if bash deploy/kafka.sh status >/dev/null 2>&1; then
      say "Kafka already running"
    else
      bash deploy/kafka.sh start
      started_kafka=1
    fi ;;
  *) say "using the Kafka cluster at $EDFLOW_KAFKA_BOOTSTRAP" ;;
esac

"${edflow[@]}" topics create
"${edflow[@]}" facility load

run_in_background relay "${edflow[@]}" relay
run_in_background worker "${edflow[@]}" worker
run_in_background serve "${edflow[@]}" serve
# Appointment reminders go to outbox files under the data directory.
run_in_background reminders "${edflow[@]}" reminders run

answers() {
  python3 - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except OSError:
    sys.exit(1)
PY
}
say "waiting for the server at $url"
deadline=$((SECONDS + 60))
until answers "$url/board/static/board.css"; do
  kill -0 "${pids[2]}" 2>/dev/null || die "the server stopped; last lines of $logs/serve.log: $(tail -n 3 "$logs/serve.log")"
  ((SECONDS < deadline)) || die "the server did not answer at $url within 60 s; see $logs/serve.log"
  sleep 0.3
done

# A new seed each start, so a restarted demo meets new patients; set
# EDFLOW_DEMO_SEED to replay a run (the seed is in the simulate log).
run_in_background simulate "${edflow[@]}" simulate --url "$url" \
  --speed "${EDFLOW_DEMO_SPEED:-60}" --warmup "${EDFLOW_DEMO_WARMUP:-4h}" --seed "${EDFLOW_DEMO_SEED:-$(date +%s)}"

token="$("${edflow[@]}" token --sub demo-charge-nurse --role charge-nurse --facility demo --ttl 43200)"
bed_token="$("${edflow[@]}" token --sub demo-bed-manager --role bed-manager --facility demo --ttl 43200)"
cat <<EOF

  edflow demo is running.

  Open the board:   $url/
  Sign in with this charge-nurse token (valid 12 hours) for facility "demo":

  $token

  Bed placement:    $url/beds  (the bed manager's page), with this token:

  $bed_token

  API docs:         $url/docs (sign in with a token)
  Logs:             $logs/{relay,worker,serve,reminders,simulate}.log
  Simulator status: tail -f $logs/simulate.log

  Press Ctrl-C to stop.

EOF

# Wait for Ctrl-C; if a process dies on its own, say which and stop the rest.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      wait "${pids[i]}" && code=0 || code=$?
      say "${names[i]} exited (status $code); last lines of $logs/${names[i]}.log:"
      tail -n 5 "$logs/${names[i]}.log" >&2 || true
      exit 1
    fi
  done
  sleep 1
done
