#!/usr/bin/env bash
# A throwaway local PostgreSQL cluster for edflow's tests and for trying the
# PostgreSQL event store: data under $EDFLOW_DATA_DIR/postgres, loopback only.
#   deploy/postgres.sh start|stop|status|dsn
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${EDFLOW_DATA_DIR:-$root/var}/postgres"
port="${EDFLOW_PG_PORT:-55432}"
user=edflow

bin=""
for candidate in /usr/lib/postgresql/*/bin; do [ -x "$candidate/pg_ctl" ] && bin="$candidate"; done
if [ -z "$bin" ]; then
  echo "postgres.sh: PostgreSQL server not installed; run: apt-get install -y postgresql" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: run it as the 'postgres' system user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dsn() { echo "postgresql://$user:$user@127.0.0.1:$port/edflow"; }

case "${1:-}" in
  start)
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$data"
    if [ ! -f "$data/PG_VERSION" ]; then
      pwfile=$(mktemp); echo "$user" > "$pwfile"; chmod 644 "$pwfile"
      as_pg "$bin/initdb" -D "$data" -U "$user" --pwfile="$pwfile" -A scram-sha-256 >/dev/null
      rm -f "$pwfile"
    fi
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c max_connections=200 -c fsync=off" start >/dev/null
    fi
    PGPASSWORD=$user psql -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='edflow'" | grep -q 1 ||
      PGPASSWORD=$user psql -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qc "CREATE DATABASE edflow"
    dsn ;;
  stop) as_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true ;;
  status) as_pg "$bin/pg_ctl" -D "$data" status ;;
  dsn) dsn ;;
  *) echo "usage: deploy/postgres.sh start|stop|status|dsn" >&2; exit 2 ;;
esac
