#!/usr/bin/env bash
# A throwaway PostgreSQL 15 + PostGIS cluster for tests, apart from the system clusters.
#   jobs/lib/pg-cluster.sh start|stop|status|url [--port N] [--dir D] [--durable]
# start   creates (once) and starts the cluster, creates database farmwatch with PostGIS, waits until
#         it accepts connections and prints postgresql://postgres@127.0.0.1:PORT/farmwatch on stdout.
#         Starting a running cluster reuses it; a stale postmaster.pid is removed.
# stop    stops the cluster and deletes its directory (a --durable cluster's directory is kept).
# status  exit 0 when the cluster is up, 1 when not.
# url     prints the URL without checking the server.
# Defaults: --port 55432 (or $FARMWATCH_PG_PORT), --dir /tmp/farmwatch-pg (or $FARMWATCH_PG_DIR).
# Listens on 127.0.0.1 only, no Unix socket, trust authentication, fsync off: for tests only.
# --durable (at creation) keeps fsync on and the data across stop and start: the local one map that
# `jobs/farmwatch db` runs. Still trust authentication on 127.0.0.1: for one machine, not a shared server.
# Run as root, the server runs as the postgres OS user; otherwise as the current user.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd="${1:-}"
[ $# -gt 0 ] && shift
port="${FARMWATCH_PG_PORT:-55432}"
dir="${FARMWATCH_PG_DIR:-/tmp/farmwatch-pg}"
durable=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    --dir) dir="${2:?--dir needs a value}"; shift 2 ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    --durable) durable=1; shift ;;
    *) echo "pg-cluster: unknown option $1" >&2; exit 2 ;;
  esac
done
log() { echo "[pg-cluster] $*" >&2; }
die() { log "$*"; exit "${code:-1}"; }

case "$port" in ''|*[!0-9]*) code=2 die "--port must be a number, got: $port" ;; esac
[ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || code=2 die "--port must be in 1024..65535, got: $port"
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
dir="${dir%/}"
case "$dir" in ''|/|/tmp|/root|/home|/var|/usr|/etc) code=2 die "refusing --dir $dir: give a directory of its own" ;; esac
url="postgresql://postgres@127.0.0.1:$port/farmwatch"
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)

if [ "$(id -u)" = 0 ]; then
  owner=postgres
  as_owner() { (cd / && runuser -u postgres -- "$@" 9>&-); }
else
  owner="$(id -un)"
  as_owner() { (cd / && "$@" 9>&-); }
fi

# True when postmaster.pid names a live postgres process serving this directory.
running() {
  local pidfile="$dir/postmaster.pid" pid
  [ -f "$pidfile" ] || return 1
  pid="$(head -n 1 "$pidfile" 2>/dev/null || true)"
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$dir" || return 1
}

# Port recorded by the running server (line 4 of postmaster.pid).
running_port() { sed -n 4p "$dir/postmaster.pid" 2>/dev/null; }

# True when something answers on the port (pg_isready exits 2 only when nothing does).
port_busy() { local rc=0; "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1 || rc=$?; [ "$rc" -ne 2 ]; }

ours() { [ -f "$dir/PG_VERSION" ] && [ -f "$dir/farmwatch-test-cluster" ]; }
empty_dir() { [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ]; }

# One start or stop at a time for a directory. The server must not inherit fd 9 (see as_owner).
lock() {
  mkdir -p "$(dirname "$dir")"
  exec 9>"$dir.lock"
  flock -w 120 9 || die "another pg-cluster.sh holds $dir.lock"
}

do_start() {
  lock
  if running; then
    local rp; rp="$(running_port)"
    [ "$rp" = "$port" ] || code=2 die "the cluster in $dir is running on port $rp, not $port"
    log "reusing the running cluster in $dir"
  else
    if [ -e "$dir" ] && ! ours && ! empty_dir; then
      code=2 die "$dir exists and is not a farmwatch test cluster; remove it or pick another --dir"
    fi
    port_busy && code=4 die "port $port is already taken by another server; pick another with --port"
    if [ ! -f "$dir/PG_VERSION" ]; then
      log "initdb $dir"
      mkdir -p "$dir"
      chown "$owner" "$dir"
      chmod 700 "$dir"
      as_owner test -w "$dir" || die "$owner cannot write $dir (is a parent directory closed to it?)"
      as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null \
        || die "initdb failed"
      echo "include_if_exists = 'farmwatch.conf'" >> "$dir/postgresql.conf"
      touch "$dir/farmwatch-test-cluster"
      [ $durable = 1 ] && touch "$dir/farmwatch-durable"
    fi
    local sync=off
    [ -f "$dir/farmwatch-durable" ] && sync=on
    if [ -f "$dir/postmaster.pid" ]; then
      log "removing stale $dir/postmaster.pid"; rm -f "$dir/postmaster.pid"
    fi
    cat > "$dir/farmwatch.conf" <<EOF
# Written by jobs/lib/pg-cluster.sh on each start.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = $sync
synchronous_commit = $sync
full_page_writes = $sync
max_connections = 100
shared_buffers = 128MB
max_wal_size = 1GB
log_min_messages = warning
EOF
    chown -R "$owner" "$dir"
    log "starting on 127.0.0.1:$port"
    if ! as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null; then
      tail -n 20 "$dir/server.log" >&2 || true
      die "the server did not start; see $dir/server.log"
    fi
  fi
  local i
  for i in $(seq 1 60); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -t 1 && break
    [ "$i" = 60 ] && die "the server on port $port did not become ready"
    sleep 0.5
  done
  if [ -z "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'farmwatch'")" ]; then
    log "creating database farmwatch"
    "${psql[@]}" -d postgres -c "CREATE DATABASE farmwatch" >/dev/null
  fi
  "${psql[@]}" -d farmwatch -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  echo "$url"
}

do_stop() {
  [ -e "$dir" ] || { log "no cluster in $dir"; return 0; }
  ours || empty_dir || code=2 die "$dir is not a farmwatch test cluster; not touching it"
  lock
  if running; then
    log "stopping the cluster in $dir"
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null \
      || as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w -t 30 stop >/dev/null \
      || die "could not stop the server in $dir"
  fi
  if [ -f "$dir/farmwatch-durable" ]; then
    log "stopped; the data stays in $dir"
    return 0
  fi
  rm -rf "$dir"
  rm -f "$dir.lock"
  log "removed $dir"
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) if running && "$bin/pg_isready" -q -h 127.0.0.1 -p "$(running_port)" -t 2; then echo "$url"; else exit 1; fi ;;
  url) echo "$url" ;;
  *) echo "usage: jobs/lib/pg-cluster.sh start|stop|status|url [--port N] [--dir D] [--durable]" >&2; exit 2 ;;
esac
