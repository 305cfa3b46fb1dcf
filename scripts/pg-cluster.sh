#!/usr/bin/env bash
# A private PostgreSQL + PostGIS cluster for the tests: a data folder and a socket folder in a
# temporary directory, a free port on 127.0.0.1, password authentication, stopped and removed
# when the process named by --watch ends (or by `stop DIR`).
#
#   eval "$(scripts/pg-cluster.sh start --watch $$)"   # exports CITYGRID_TEST_PG, CITYGRID_TEST_PG_DIR
#   scripts/pg-cluster.sh stop "$CITYGRID_TEST_PG_DIR"
#   scripts/pg-cluster.sh restart "$CITYGRID_TEST_PG_DIR"   # cuts every connection, as a server restart does
#
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` account the
# distribution's package creates. Installing the packages is scripts/install-deps.sh's job.
set -euo pipefail

bin="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-cluster: PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/install-deps.sh)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_cluster() {
  local dir="$1"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start)
    watch=""
    if [ "${2:-}" = "--watch" ]; then watch="${3:?--watch needs a process id}"; fi
    dir="$(mktemp -d /tmp/citygrid-pg.XXXXXX)"
    chmod 755 "$dir"
    password="citygrid-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$dir"; fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if [ -n "$watch" ]; then
      # Stops the cluster when the watched process ends, even when it is killed.
      setsid nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; '$0' stop '$dir'" >/dev/null 2>&1 &
    fi
    echo "export CITYGRID_TEST_PG='postgresql://postgres:$password@127.0.0.1:$port/postgres'"
    echo "export CITYGRID_TEST_PG_DIR='$dir'"
    ;;
  stop)
    stop_cluster "${2:?stop needs the cluster directory}"
    ;;
  restart)
    # What a server restart does to the seats (the restart test): every connection is cut.
    dir="${2:?restart needs the cluster directory}"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 start [--watch PID] | stop DIR | restart DIR" >&2
    exit 2
    ;;
esac
