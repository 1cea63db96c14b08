#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests (ctest starts and stops it around the
# "postgres: " tests):
#   scripts/postgres.sh start STATE_DIR   -> STATE_DIR/conninfo holds the connection string
#   scripts/postgres.sh stop STATE_DIR
#   scripts/postgres.sh kill STATE_DIR     -> the server dies at once (SIGQUIT), its data stays
#   scripts/postgres.sh resume STATE_DIR   -> the same cluster starts again
# DURABLE=1 runs it as a real deployment would (fsync, synchronous_commit and full-page writes
# on): a commit is on disk before it is acknowledged, so a killed server loses nothing
# acknowledged (the test that kills the server needs that; the benchmark measures that).
# The cluster lives in a fresh directory under /tmp and listens on a Unix socket there only (no
# TCP port), with trust authentication for its one role and no fsync (nothing in it outlives
# the run). PostgreSQL refuses to run as root: as root (CI) the server runs as the unprivileged
# `postgres` user that Debian's package creates, and the tests connect as that role.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 start|stop|kill|resume STATE_DIR" >&2; exit 2; }
command=$1
state=$2
bin=/usr/lib/postgresql/15/bin
run=()
role=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  run=(runuser -u postgres --)
  role=postgres
fi

stop() {
  [ -f "$state/cluster" ] || return 0
  local cluster
  cluster=$(cat "$state/cluster")
  "${run[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$cluster" "$state"
}

launch() {
  local cluster durable=off
  cluster=$(cat "$state/cluster")
  [ "${DURABLE:-0}" = 1 ] && durable=on
  "${run[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $cluster -c unix_socket_permissions=0700 -c fsync=$durable -c synchronous_commit=$durable -c full_page_writes=$durable -c max_connections=400" \
    start >/dev/null || { cat "$cluster/server.log" >&2; exit 1; }
}

case $command in
start)
  stop
  mkdir -p "$state"
  cluster=$(mktemp -d /tmp/usermgmt-pg.XXXXXX)
  echo "$cluster" >"$state/cluster"
  chmod 700 "$cluster"  # the socket is in it: only its owner (and root) may connect
  [ ${#run[@]} -eq 0 ] || chown postgres: "$cluster"
  "${run[@]}" "$bin/initdb" -D "$cluster/data" -U "$role" -A trust -E UTF8 --locale=C --no-sync >"$cluster/initdb.log" 2>&1 ||
    { cat "$cluster/initdb.log" >&2; exit 1; }
  launch
  echo "host=$cluster user=$role dbname=postgres" >"$state/conninfo"
  echo "PostgreSQL 15 up: $(cat "$state/conninfo")"
  ;;
stop) stop ;;
kill) "${run[@]}" "$bin/pg_ctl" -D "$(cat "$state/cluster")/data" -m immediate -w stop >/dev/null ;;
resume) launch ;;
*) echo "usage: $0 start|stop|kill|resume STATE_DIR" >&2; exit 2 ;;
esac
