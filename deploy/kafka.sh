#!/usr/bin/env bash
# Run Apache Kafka (KRaft, combined broker+controller nodes) on this machine
# for edflow development, tests and CI: one node by default, or a replicated
# cluster of three with EDFLOW_KAFKA_BROKERS=3. See deploy/KAFKA.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/kafka.sh COMMAND [NODE]

Runs Apache Kafka (KRaft mode, broker and controller in one JVM per node)
bound to 127.0.0.1, for edflow development, tests and CI. The broker jars are
fetched from Maven Central with mvn (version pinned in deploy/kafka/pom.xml).

By default one node runs. With EDFLOW_KAFKA_BROKERS=3 three nodes run as one
replicated cluster: node ids 1-3, a static controller quorum of all three,
replication factor 3 and min.insync.replicas=2, so it keeps accepting
acknowledged (acks=all) writes with any one node down.

Commands:
  fetch    Download the broker jars into the cache dir (skipped when complete).
  format   Write each node's server.properties and format its KRaft storage
           (skipped when already formatted; the cluster id is kept in the
           data dir and shared by all nodes).
  start    fetch + format if needed, start every node that is not running in
           the background and wait until all serve requests. Does nothing if
           they already do.
  wait     Wait until every node serves requests and sees all nodes as live
           brokers (EDFLOW_KAFKA_START_TIMEOUT).
  stop     Stop every node: SIGTERM, up to 30 s for a clean shutdown, then
           SIGKILL. Data is kept.
  status   One line per node. Exit 0 if every node runs and answers, 1 if
           none runs, 3 otherwise (some down, paused or not answering).
  bootstrap
           Print the client addresses of all nodes, comma-separated: the
           value for EDFLOW_KAFKA_BOOTSTRAP.
  help     Show this text.

Fault injection on one node N (1..EDFLOW_KAFKA_BROKERS; data is kept):
  stop-node N     clean shutdown (SIGTERM, then SIGKILL after 30 s)
  kill-node N     SIGKILL: the node dies at once, as in a crash
  start-node N    start it again and wait until it serves requests
  pause-node N    SIGSTOP: the process hangs, its connections stay open
  resume-node N   SIGCONT a paused node

Environment:
  EDFLOW_KAFKA_BROKERS          number of nodes: 1, or 3 or more (default: 1)
  EDFLOW_CACHE_DIR              jar cache root      (default: <repo>/.cache)
  EDFLOW_DATA_DIR               data root           (default: <repo>/var)
  EDFLOW_KAFKA_PORT             client port of the first node (default: 9092)
  EDFLOW_KAFKA_CONTROLLER_PORT  KRaft controller port, one node only
                                (default: 9093)
  EDFLOW_KAFKA_HEAP             JVM heap flags per node (default: -Xms256m
                                -Xmx512m; with several nodes -Xms128m -Xmx384m)
  EDFLOW_KAFKA_JVM_OPTS         extra JVM flags     (default: none)
  EDFLOW_KAFKA_START_TIMEOUT    seconds to wait     (default: 60)
  EDFLOW_KAFKA_VERSION          override the Kafka version pinned in the pom
  JAVA_HOME                     Java 17+ to use     (default: java on PATH)

Ports with several nodes: node N listens for clients on
EDFLOW_KAFKA_PORT + 2*(N-1) and for its controller on the port after that,
e.g. 9092/9093, 9094/9095, 9096/9097 for nodes 1-3.

Files (one node):
  <cache>/kafka/<version>/libs/      broker classpath
  <data>/kafka/server.properties     generated broker config
  <data>/kafka/cluster.id            KRaft cluster id
  <data>/kafka/data/                 topic and metadata logs
  <data>/kafka/logs/server.log       broker log; kafka.out holds console output
  <data>/kafka/kafka.pid             pid of the running broker
Several nodes: <data>/kafka/cluster.id is shared, and each node N has the
other files under <data>/kafka/node-N/ (server.properties, data/, logs/,
kafka.pid).
EOF
}

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
LOG4J_CONFIG="$SCRIPT_DIR/kafka/log4j2.yaml"

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

HOST=127.0.0.1
BROKERS="${EDFLOW_KAFKA_BROKERS:-1}"
[[ "$BROKERS" =~ ^[1-9]$ && "$BROKERS" != 2 ]] \
  || die "EDFLOW_KAFKA_BROKERS=$BROKERS: use 1, or 3 to 9 (two nodes cannot keep a controller majority with one down)"
PORT="${EDFLOW_KAFKA_PORT:-9092}"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "EDFLOW_KAFKA_PORT=$PORT is not a port number"
if (( BROKERS == 1 )); then
  CONTROLLER_PORT="${EDFLOW_KAFKA_CONTROLLER_PORT:-9093}"
  HEAP="${EDFLOW_KAFKA_HEAP:--Xms256m -Xmx512m}"
else
  [[ -z "${EDFLOW_KAFKA_CONTROLLER_PORT:-}" ]] \
    || die "EDFLOW_KAFKA_CONTROLLER_PORT is for one node; with EDFLOW_KAFKA_BROKERS=$BROKERS node N's controller listens on EDFLOW_KAFKA_PORT + 2*(N-1) + 1"
  CONTROLLER_PORT=$((PORT + 1))
  HEAP="${EDFLOW_KAFKA_HEAP:--Xms128m -Xmx384m}"
fi
START_TIMEOUT="${EDFLOW_KAFKA_START_TIMEOUT:-60}"
STOP_TIMEOUT=30

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
CLUSTER_ID_FILE="$KAFKA_DIR/cluster.id"

# use_node N: point the per-node variables at node N. One node keeps the
# original layout directly under <data>/kafka.
use_node() {
  NODE_ID="$1"
  if (( BROKERS == 1 )); then
    NODE_DIR="$KAFKA_DIR"
    NODE_PORT="$PORT"
    NODE_CONTROLLER_PORT="$CONTROLLER_PORT"
  else
    NODE_DIR="$KAFKA_DIR/node-$NODE_ID"
    NODE_PORT=$((PORT + 2 * (NODE_ID - 1)))
    NODE_CONTROLLER_PORT=$((NODE_PORT + 1))
  fi
  PROPS="$NODE_DIR/server.properties"
  LOG_DIRS="$NODE_DIR/data"
  LOGS_DIR="$NODE_DIR/logs"
  PID_FILE="$NODE_DIR/kafka.pid"
  OUT_FILE="$LOGS_DIR/kafka.out"
  NAME="$( (( BROKERS == 1 )) && echo broker || echo "node $NODE_ID")"
}

all_nodes() { seq 1 "$BROKERS"; }

node_arg() {
  local n="${1:-}"
  [[ "$n" =~ ^[1-9]$ ]] && (( n <= BROKERS )) || die "name a node from 1 to $BROKERS (EDFLOW_KAFKA_BROKERS=$BROKERS)"
  printf '%s\n' "$n"
}

bootstrap_servers() {
  local n list=()
  for n in $(all_nodes); do
    use_node "$n"
    list+=("$HOST:$NODE_PORT")
  done
  local IFS=,
  printf '%s\n' "${list[*]}"
}

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA=java
fi

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

quorum_voters() {
  local n voters=()
  for n in $(all_nodes); do
    voters+=("$n@$HOST:$((PORT + 2 * (n - 1) + 1))")
  done
  local IFS=,
  printf '%s\n' "${voters[*]}"
}

replication_properties() {
  if (( BROKERS == 1 )); then
    cat <<EOF
controller.quorum.bootstrap.servers=$HOST:$NODE_CONTROLLER_PORT

# One broker: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
EOF
    return
  fi
  cat <<EOF
# A static quorum: every node is one of the $BROKERS controller voters.
controller.quorum.voters=$(quorum_voters)

# Three replicas of everything, two of them in sync for a write to be
# acknowledged: an acks=all write survives the loss of any one node, and the
# cluster keeps accepting writes with one node down.
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false

# A node that stops heartbeating is fenced (and its partitions get new
# leaders) after 4 s instead of 9 s, so fault tests stay short.
broker.session.timeout.ms=4000
EOF
}

write_properties() {
  mkdir -p "$NODE_DIR" "$LOG_DIRS" "$LOGS_DIR"
  local what="Single-node development/CI broker"
  (( BROKERS == 1 )) || what="Node $NODE_ID of a $BROKERS-node development/CI cluster"
  cat > "$PROPS.tmp" <<EOF
# Generated by deploy/kafka.sh on every format/start; edit the script, not this
# file. $what: KRaft combined broker+controller,
# listening on $HOST only. Production settings are in deploy/KAFKA.md.
process.roles=broker,controller
node.id=$NODE_ID
listeners=PLAINTEXT://$HOST:$NODE_PORT,CONTROLLER://$HOST:$NODE_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$NODE_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS
$(replication_properties)

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
num.io.threads=$( (( BROKERS == 1 )) && echo 4 || echo 2)
EOF
  mv "$PROPS.tmp" "$PROPS"
}

formatted() {
  [[ -f "$LOG_DIRS/meta.properties" ]]
}

# Format node $NODE_ID's storage (properties already written).
format_node() {
  local cluster_id
  cluster_id="$(cat "$CLUSTER_ID_FILE")"
  local initial=(--standalone)
  # Several nodes name their voters in controller.quorum.voters instead.
  (( BROKERS == 1 )) || initial=()
  java_opts
  "$JAVA" "${JAVA_OPTS[@]}" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$PROPS" "${initial[@]}" >>"$LOGS_DIR/format.log" 2>&1 \
    || die "storage format of $NAME failed; see $LOGS_DIR/format.log"
  formatted || die "storage format did not write $LOG_DIRS/meta.properties; see $LOGS_DIR/format.log"
}

cmd_format() {
  cmd_fetch
  local n pending=()
  for n in $(all_nodes); do
    use_node "$n"
    write_properties
    if formatted; then
      log "storage of $NAME in $LOG_DIRS already formatted (cluster id $(cat "$CLUSTER_ID_FILE" 2>/dev/null || echo '?'))"
    else
      pending+=("$n")
    fi
  done
  (( ${#pending[@]} )) || return 0
  need "$JAVA" "install OpenJDK 17+, e.g. apt-get install -y openjdk-17-jre-headless"
  mkdir -p "$KAFKA_DIR"
  [[ -s "$CLUSTER_ID_FILE" ]] || new_cluster_id > "$CLUSTER_ID_FILE"
  # Each format is a JVM start of its own: run them side by side.
  local pids=() failed=0
  for n in "${pending[@]}"; do
    use_node "$n"
    log "formatting KRaft storage of $NAME in $LOG_DIRS (cluster id $(cat "$CLUSTER_ID_FILE"))"
    format_node &
    pids+=("$!")
  done
  for n in "${pids[@]}"; do
    wait "$n" || failed=1
  done
  (( failed == 0 )) || die "formatting failed (messages above)"
}

# --- process state -----------------------------------------------------------

node_pid() {
  # Prints node $NODE_ID's pid if its pid file names a live kafka.Kafka process.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  printf '%s\n' "$pid"
}

paused() {
  # True if process $1 is stopped by a signal (state T in /proc/PID/stat).
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "${stat##*) }" == T* ]]
}

# probe PORT [NODE_ID...]: exit 0 when the node on PORT answers a Metadata
# request whose live brokers include every NODE_ID given (any broker if none
# given), i.e. those brokers are registered and unfenced and topics can be
# created. A bare TCP connect is not enough: the port opens before the broker
# is unfenced.
probe() {
  python3 - "$HOST" "$@" <<'PY'
import socket, struct, sys

host, port, wanted = sys.argv[1], int(sys.argv[2]), {int(n) for n in sys.argv[3:]}

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
        # correlation_id, throttle_time_ms, then the brokers array: node_id,
        # host (int16-length string), port, rack (nullable string).
        _, _, count = struct.unpack_from(">iii", data, 0)
        offset, live = 12, set()
        for _ in range(count):
            node_id, host_len = struct.unpack_from(">ih", data, offset)
            offset += 6 + host_len + 4
            (rack_len,) = struct.unpack_from(">h", data, offset)
            offset += 2 + max(rack_len, 0)
            live.add(node_id)
        sys.exit(0 if live and wanted <= live else 1)
except (OSError, struct.error):
    sys.exit(2)
PY
}

port_open() {
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# --- one node ----------------------------------------------------------------

# Wait until node $NODE_ID answers and lists the node ids given as live.
wait_node() {
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if probe "$NODE_PORT" "$@"; then
      return 0
    fi
    if [[ -f "$PID_FILE" ]] && ! node_pid >/dev/null; then
      die "$NAME exited during startup; see $OUT_FILE and $LOGS_DIR/server.log"
    fi
    if (( SECONDS >= deadline )); then
      die "$NAME not answering on $HOST:$NODE_PORT after ${START_TIMEOUT}s; see $LOGS_DIR/server.log and $OUT_FILE"
    fi
    sleep 0.2
  done
}

# Launch node $NODE_ID in the background (formatted, not running); no wait.
launch_node() {
  rm -f "$PID_FILE"
  if port_open "$NODE_PORT" || port_open "$NODE_CONTROLLER_PORT"; then
    die "port $NODE_PORT or $NODE_CONTROLLER_PORT on $HOST is already in use by a process not started from $NODE_DIR; stop it or set EDFLOW_KAFKA_PORT$( (( BROKERS == 1 )) && echo ' / EDFLOW_KAFKA_CONTROLLER_PORT')"
  fi
  java_opts
  mkdir -p "$LOGS_DIR"
  log "starting $NAME (Kafka $VERSION) on $HOST:$NODE_PORT (data in $NODE_DIR)"
  printf '\n=== %s starting Kafka %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$VERSION" >> "$OUT_FILE"
  # New session so the broker outlives the shell (and a Ctrl-C) that started
  # it; the inner shell records its own pid and then becomes the JVM.
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  PID_FILE="$PID_FILE" nohup setsid bash -c 'echo $$ > "$PID_FILE"; exec "$@"' kafka-broker \
    "$JAVA" "${JAVA_OPTS[@]}" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT_FILE" 2>&1 &
  local deadline=$((SECONDS + 5))
  until [[ -s "$PID_FILE" ]]; do
    (( SECONDS < deadline )) || die "$NAME did not start; see $OUT_FILE"
    sleep 0.05
  done
}

# Send SIGTERM to node $NODE_ID and return its pid (empty if not running).
signal_stop() {
  local pid
  if ! pid="$(node_pid)"; then
    rm -f "$PID_FILE"
    log "$NAME not running"
    return 0
  fi
  log "stopping $NAME (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  # A paused node handles the SIGTERM only once it runs again.
  kill -CONT "$pid" 2>/dev/null || true
  printf '%s\n' "$pid"
}

# Wait for the given pids to exit; SIGKILL what is left after STOP_TIMEOUT.
await_exit() {
  local pid deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      if (( SECONDS >= deadline )); then
        log "pid $pid still running after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
}

node_status() {
  # One line for node $NODE_ID; returns 0 running, 1 not running, 3 otherwise.
  local pid label=""
  (( BROKERS == 1 )) || label="$NAME: "
  if pid="$(node_pid)"; then
    if paused "$pid"; then
      echo "${label}paused: pid $pid, $HOST:$NODE_PORT (resume-node $NODE_ID)"
      return 3
    fi
    if probe "$NODE_PORT" "$NODE_ID"; then
      echo "${label}running: Kafka $VERSION, pid $pid, $HOST:$NODE_PORT, data in $NODE_DIR"
      return 0
    fi
    echo "${label}not ready: pid $pid is up but not answering on $HOST:$NODE_PORT (starting, or hung; see $LOGS_DIR/server.log)"
    return 3
  fi
  echo "${label}not running (data dir $NODE_DIR)"
  return 1
}

# --- commands ----------------------------------------------------------------

cmd_wait() {
  need python3 "used to probe the broker"
  local n
  # shellcheck disable=SC2046  # the node ids are a word list
  for n in $(all_nodes); do
    use_node "$n"
    wait_node $(all_nodes)
  done
}

cmd_start() {
  need python3 "used to probe the broker"
  local n pid waiting=0 launch=()
  for n in $(all_nodes); do
    use_node "$n"
    if pid="$(node_pid)"; then
      if probe "$NODE_PORT" "$NODE_ID"; then
        log "$NAME already running (pid $pid) on $HOST:$NODE_PORT"
      else
        log "$NAME process $pid is up but not answering yet; waiting"
        waiting=1
      fi
    else
      launch+=("$n")
    fi
  done
  if (( ${#launch[@]} )); then
    cmd_format
    need "$JAVA" "install OpenJDK 17+, e.g. apt-get install -y openjdk-17-jre-headless"
    # All nodes are launched before any is waited for: a controller quorum
    # forms only once a majority of the voters runs.
    for n in "${launch[@]}"; do
      use_node "$n"
      launch_node
    done
  elif (( ! waiting )); then
    return 0
  fi
  cmd_wait
  if (( BROKERS == 1 )); then
    log "broker running (pid $(cat "$PID_FILE")) on $HOST:$PORT"
  else
    log "cluster of $BROKERS nodes running; EDFLOW_KAFKA_BOOTSTRAP=$(bootstrap_servers)"
  fi
}

cmd_stop() {
  local n pid pids=()
  # Every node is asked at once, so each shuts down while the controller
  # quorum is still there to hand its partitions over.
  for n in $(all_nodes); do
    use_node "$n"
    pid="$(signal_stop)"
    [[ -z "$pid" ]] || pids+=("$pid")
  done
  (( ${#pids[@]} )) || return 0
  await_exit "${pids[@]}"
  for n in $(all_nodes); do
    use_node "$n"
    node_pid >/dev/null || rm -f "$PID_FILE"
  done
  log "$( (( BROKERS == 1 )) && echo broker || echo "all $BROKERS nodes") stopped"
}

cmd_status() {
  local n code worst=0 down=0
  for n in $(all_nodes); do
    use_node "$n"
    code=0
    node_status || code=$?
    (( code == 1 )) && down=$((down + 1))
    (( code == 0 )) || worst=3
  done
  if (( BROKERS > 1 )); then
    echo "EDFLOW_KAFKA_BOOTSTRAP=$(bootstrap_servers)"
  fi
  (( down == BROKERS )) && return 1
  return "$worst"
}

cmd_stop_node() {
  local n pid
  n="$(node_arg "${1:-}")"
  use_node "$n"
  pid="$(signal_stop)"
  [[ -z "$pid" ]] || await_exit "$pid"
  rm -f "$PID_FILE"
  [[ -z "$pid" ]] || log "$NAME stopped"
}

cmd_kill_node() {
  local n pid
  n="$(node_arg "${1:-}")"
  use_node "$n"
  pid="$(node_pid)" || die "$NAME is not running"
  log "killing $NAME (pid $pid) with SIGKILL"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$PID_FILE"
}

cmd_start_node() {
  local n
  n="$(node_arg "${1:-}")"
  need python3 "used to probe the broker"
  use_node "$n"
  if node_pid >/dev/null; then
    log "$NAME already running"
  else
    cmd_format
    use_node "$n"
    launch_node
  fi
  wait_node "$NODE_ID"
  log "$NAME running (pid $(cat "$PID_FILE")) on $HOST:$NODE_PORT"
}

cmd_signal_node() {
  local signal="$1" verb="$2"
  local n pid
  n="$(node_arg "${3:-}")"
  use_node "$n"
  pid="$(node_pid)" || die "$NAME is not running"
  kill "-$signal" "$pid"
  log "$verb $NAME (pid $pid)"
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
    bootstrap) bootstrap_servers ;;
    stop-node) cmd_stop_node "${2:-}" ;;
    kill-node) cmd_kill_node "${2:-}" ;;
    start-node) cmd_start_node "${2:-}" ;;
    pause-node) cmd_signal_node STOP paused "${2:-}" ;;
    resume-node) cmd_signal_node CONT resumed "${2:-}" ;;
    help | -h | --help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf 'kafka.sh: unknown command: %s\n\n' "$cmd" >&2; usage >&2; exit 2 ;;
  esac
}

main "$@"
