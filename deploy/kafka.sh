#!/usr/bin/env bash
# Run a single-node Apache Kafka broker (KRaft, combined broker+controller)
# for edflow development, tests and CI. See deploy/KAFKA.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/kafka.sh COMMAND

Runs one Apache Kafka broker (KRaft mode, broker and controller in one JVM)
bound to 127.0.0.1, for edflow development, tests and CI. The broker jars are
fetched from Maven Central with mvn (version pinned in deploy/kafka/pom.xml).

Commands:
  fetch    Download the broker jars into the cache dir (skipped when complete).
  format   Write server.properties and format KRaft storage in the data dir
           (skipped when already formatted; the cluster id is kept there).
  start    fetch + format if needed, start the broker in the background and
           wait until it serves requests. Does nothing if it is already up.
  wait     Wait until the broker serves requests (EDFLOW_KAFKA_START_TIMEOUT).
  stop     Stop the broker: SIGTERM, up to 30 s for a clean shutdown, then
           SIGKILL. Data is kept.
  status   Say whether the broker is running: exit 0 if it is and answers,
           1 if it is not running, 3 if the process is up but not answering.
  help     Show this text.

Environment:
  EDFLOW_CACHE_DIR              jar cache root      (default: <repo>/.cache)
  EDFLOW_DATA_DIR               data root           (default: <repo>/var)
  EDFLOW_KAFKA_PORT             client port         (default: 9092)
  EDFLOW_KAFKA_CONTROLLER_PORT  KRaft controller    (default: 9093)
  EDFLOW_KAFKA_HEAP             JVM heap flags      (default: -Xms256m -Xmx512m)
  EDFLOW_KAFKA_JVM_OPTS         extra JVM flags     (default: none)
  EDFLOW_KAFKA_START_TIMEOUT    seconds to wait     (default: 60)
  EDFLOW_KAFKA_VERSION          override the Kafka version pinned in the pom
  JAVA_HOME                     Java 17+ to use     (default: java on PATH)

Files:
  <cache>/kafka/<version>/libs/      broker classpath
  <data>/kafka/server.properties     generated broker config
  <data>/kafka/cluster.id            KRaft cluster id
  <data>/kafka/data/                 topic and metadata logs
  <data>/kafka/logs/server.log       broker log; kafka.out holds console output
  <data>/kafka/kafka.pid             pid of the running broker
EOF
}

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/kafka/log4j2.yaml"

HOST=127.0.0.1
PORT="${EDFLOW_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${EDFLOW_KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${EDFLOW_KAFKA_HEAP:--Xms256m -Xmx512m}"
START_TIMEOUT="${EDFLOW_KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=30
NODE_ID=1

pinned_version() {
  sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n 1
}
VERSION="${EDFLOW_KAFKA_VERSION:-$(pinned_version)}"

CACHE_ROOT="${EDFLOW_CACHE_DIR:-$REPO_DIR/.cache}"
DATA_ROOT="${EDFLOW_DATA_DIR:-$REPO_DIR/var}"
DIST_DIR="$CACHE_ROOT/kafka/$VERSION"
LIBS_DIR="$DIST_DIR/libs"
FETCH_MARKER="$DIST_DIR/.fetched"

KAFKA_DIR="$DATA_ROOT/kafka"
PROPS="$KAFKA_DIR/server.properties"
CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"
LOG_DIRS="$KAFKA_DIR/data"
LOGS_DIR="$KAFKA_DIR/logs"
PID_FILE="$KAFKA_DIR/kafka.pid"
OUT_FILE="$LOGS_DIR/kafka.out"

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=java
fi

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"
}

# --- fetch -------------------------------------------------------------------

# The marker records what the libs dir was built from, so editing the pom
# (e.g. the log4j version) triggers a new fetch even for the same Kafka.
fetch_stamp() {
  printf 'kafka %s\npom %s\n' "$VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

fetched() {
  [[ -f "$FETCH_MARKER" && -d "$LIBS_DIR" ]] && [[ "$(cat "$FETCH_MARKER")" == "$(fetch_stamp)" ]]
}

cmd_fetch() {
  [[ -n "$VERSION" ]] || die "no <kafka.version> found in $POM"
  if fetched; then
    log "Kafka $VERSION jars already in $LIBS_DIR"
    return 0
  fi
  need mvn "install Maven, e.g. apt-get install -y maven"
  log "fetching Kafka $VERSION jars with mvn into $LIBS_DIR"
  mkdir -p "$DIST_DIR"
  local tmp="$DIST_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  local mvn_log="$DIST_DIR/fetch.log"
  if ! mvn -B -Dstyle.color=never -f "$POM" \
        -Dkafka.version="$VERSION" \
        dependency:copy-dependencies \
        -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
    rm -rf "$tmp"
    grep -E '\[(ERROR|WARNING)\]' "$mvn_log" | head -n 20 >&2 || true
    die "mvn could not fetch Kafka $VERSION; full output in $mvn_log"
  fi
  ls "$tmp"/kafka_2.13-"$VERSION".jar >/dev/null 2>&1 \
    || { rm -rf "$tmp"; die "kafka_2.13-$VERSION.jar missing after mvn run"; }
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  fetch_stamp > "$FETCH_MARKER"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars for Kafka $VERSION"
}

# --- format ------------------------------------------------------------------

java_opts() {
  # shellcheck disable=SC2206  # heap and extra options are word lists
  local heap=($HEAP) extra=(${EDFLOW_KAFKA_JVM_OPTS:-})
  JAVA_OPTS=(
    "${heap[@]}"
    -server
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent
    # C1 only: the broker is up ~0.5 s sooner, which every test run pays for.
    # For a throughput benchmark, EDFLOW_KAFKA_JVM_OPTS=-XX:TieredStopAtLevel=4.
    -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOG4J_CONFIG"
    # Kafka shuts its own components down on SIGTERM; a log4j hook racing it
    # only adds a spurious warning and cuts off the last log lines.
    -Dlog4j2.shutdownHookEnabled=false
    -Dkafka.logs.dir="$LOGS_DIR"
    "${extra[@]}"
    -cp "$LIBS_DIR/*"
  )
}

new_cluster_id() {
  # Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe
  # base64 without padding, never starting with '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  printf '%s\n' "$id"
}

write_properties() {
  mkdir -p "$KAFKA_DIR" "$LOG_DIRS" "$LOGS_DIR"
  cat > "$PROPS.tmp" <<EOF
# Generated by deploy/kafka.sh on every format/start; edit the script, not this
# file. Single-node development/CI broker: KRaft combined broker+controller,
# listening on $HOST only. Production settings are in deploy/KAFKA.md.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS

# One broker: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Topics are created explicitly (with their own retention and cleanup
# settings) by edflow's topic-creation code; a typo must not create a topic.
auto.create.topics.enable=false
num.partitions=3

# Fast startup and fast consumer-group joins for tests. Fewer internal-topic
# partitions than the defaults (50) make the first group and the first
# transactional producer ready in well under a second.
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
broker.heartbeat.interval.ms=500
num.network.threads=2
num.io.threads=4
EOF
  mv "$PROPS.tmp" "$PROPS"
}

formatted() {
  [[ -f "$LOG_DIRS/meta.properties" ]]
}

cmd_format() {
  cmd_fetch
  write_properties
  if formatted; then
    log "storage in $LOG_DIRS already formatted (cluster id $(cat "$CLUSTER_ID_FILE" 2>/dev/null || echo '?'))"
    return 0
  fi
  need "$JAVA" "install OpenJDK 17+, e.g. apt-get install -y openjdk-17-jre-headless"
  [[ -s "$CLUSTER_ID_FILE" ]] || new_cluster_id > "$CLUSTER_ID_FILE"
  local cluster_id
  cluster_id="$(cat "$CLUSTER_ID_FILE")"
  log "formatting KRaft storage in $LOG_DIRS (cluster id $cluster_id)"
  java_opts
  "$JAVA" "${JAVA_OPTS[@]}" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$PROPS" --standalone >>"$LOGS_DIR/format.log" 2>&1 \
    || die "storage format failed; see $LOGS_DIR/format.log"
  formatted || die "storage format did not write $LOG_DIRS/meta.properties; see $LOGS_DIR/format.log"
}

# --- process state -----------------------------------------------------------

broker_pid() {
  # Prints the broker's pid if the pid file names a live kafka.Kafka process.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  printf '%s\n' "$pid"
}

# Exit 0 when the broker answers a Metadata request and lists itself as a live
# broker, i.e. it is registered and unfenced and can create topics. A bare TCP
# connect is not enough: the port opens before the broker is unfenced.
probe() {
  python3 - "$HOST" "$PORT" <<'PY'
import socket, struct, sys

host, port = sys.argv[1], int(sys.argv[2])

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf

try:
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.settimeout(2)
        client_id = b"edflow-kafka-sh"
        # Request header v1 + Metadata v4 body (topics=null: all topics,
        # allow_auto_topic_creation=false).
        body = struct.pack(">hhih", 3, 4, 1, len(client_id)) + client_id
        body += struct.pack(">ib", -1, 0)
        sock.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", recv_exact(sock, 4))[0]
        data = recv_exact(sock, size)
        # correlation_id, throttle_time_ms, brokers array length
        _, _, brokers = struct.unpack(">iii", data[:12])
        sys.exit(0 if brokers > 0 else 1)
except (OSError, struct.error):
    sys.exit(2)
PY
}

port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# --- commands ----------------------------------------------------------------

cmd_wait() {
  need python3 "used to probe the broker"
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if probe; then
      return 0
    fi
    if [[ -f "$PID_FILE" ]] && ! broker_pid >/dev/null; then
      die "broker process exited during startup; see $OUT_FILE and $LOGS_DIR/server.log"
    fi
    if (( SECONDS >= deadline )); then
      die "broker not answering on $HOST:$PORT after ${START_TIMEOUT}s; see $LOGS_DIR/server.log and $OUT_FILE"
    fi
    sleep 0.2
  done
}

cmd_start() {
  need python3 "used to probe the broker"
  local pid
  if pid="$(broker_pid)"; then
    if probe; then
      log "broker already running (pid $pid) on $HOST:$PORT"
      return 0
    fi
    log "broker process $pid is up but not answering yet; waiting"
    cmd_wait
    log "broker running (pid $pid) on $HOST:$PORT"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$PORT" || port_open "$CONTROLLER_PORT"; then
    die "port $PORT or $CONTROLLER_PORT on $HOST is already in use by a process not started from $KAFKA_DIR; stop it or set EDFLOW_KAFKA_PORT / EDFLOW_KAFKA_CONTROLLER_PORT"
  fi

  cmd_format
  need "$JAVA" "install OpenJDK 17+, e.g. apt-get install -y openjdk-17-jre-headless"
  java_opts
  mkdir -p "$LOGS_DIR"
  log "starting Kafka $VERSION on $HOST:$PORT (data in $KAFKA_DIR)"
  {
    printf '\n=== %s starting Kafka %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$VERSION"
  } >> "$OUT_FILE"
  # New session so the broker outlives the shell (and a Ctrl-C) that started
  # it; the inner shell records its own pid and then becomes the JVM.
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  PID_FILE="$PID_FILE" nohup setsid bash -c 'echo $$ > "$PID_FILE"; exec "$@"' kafka-broker \
    "$JAVA" "${JAVA_OPTS[@]}" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT_FILE" 2>&1 &
  local deadline=$((SECONDS + 5))
  until [[ -s "$PID_FILE" ]]; do
    (( SECONDS < deadline )) || die "broker did not start; see $OUT_FILE"
    sleep 0.05
  done
  cmd_wait
  log "broker running (pid $(cat "$PID_FILE")) on $HOST:$PORT"
}

cmd_stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    log "broker not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      log "broker still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PID_FILE"
  log "broker stopped"
}

cmd_status() {
  local pid
  if pid="$(broker_pid)"; then
    if probe; then
      echo "running: Kafka $VERSION, pid $pid, $HOST:$PORT, data in $KAFKA_DIR"
      return 0
    fi
    echo "not ready: pid $pid is up but not answering on $HOST:$PORT (starting, or hung; see $LOGS_DIR/server.log)"
    return 3
  fi
  echo "not running (data dir $KAFKA_DIR)"
  return 1
}

main() {
  local cmd="${1:-}"
  case "$cmd" in
    fetch) cmd_fetch ;;
    format) cmd_format ;;
    start) cmd_start ;;
    wait) cmd_wait ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    help | -h | --help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf 'kafka.sh: unknown command: %s\n\n' "$cmd" >&2; usage >&2; exit 2 ;;
  esac
}

main "$@"
