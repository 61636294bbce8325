#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the tests and for trying the PostGIS store.
#
#   scripts/pg.sh install   install Debian's postgresql and its PostGIS package if missing
#   scripts/pg.sh start     install if needed, create the cluster under .cache/ if needed, start it
#                           on 127.0.0.1 (port $WANBEI_PG_PORT, default 54329), create the database
#                           and the postgis extension, and print the URL
#   scripts/pg.sh url       print the URL (postgresql://postgres@127.0.0.1:54329/wanbei)
#   scripts/pg.sh status    exit 0 if the cluster is running
#   scripts/pg.sh stop      stop the cluster (its files stay; `rm -rf .cache/postgres` drops them)
#
# The cluster listens on the loopback interface only, with no Unix socket, and trusts local
# connections: it holds nothing but test data. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the `postgres` user the Debian package creates.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGDATA="${WANBEI_PG_DIR:-$ROOT/.cache/postgres}"
PORT="${WANBEI_PG_PORT:-54329}"
DB="${WANBEI_PG_DB:-wanbei}"
URL="postgresql://postgres@127.0.0.1:$PORT/$DB"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

pgbin() {
  # The newest installed server's binaries (Debian keeps them out of PATH).
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

have_postgis() {
  local bin major
  bin="$(pgbin)"
  [ -n "$bin" ] || return 1
  major="$(basename "$(dirname "$bin")")"
  [ -f "/usr/share/postgresql/$major/extension/postgis.control" ]
}

install() {
  if [ -x "$(pgbin)/initdb" ] && have_postgis; then
    return 0
  fi
  echo "pg.sh: installing Debian's postgresql and PostGIS" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
  local major
  major="$(basename "$(dirname "$(pgbin)")")"
  $SUDO apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
  # The package starts a system cluster on port 5432; ours is separate and the system one is
  # not needed.
}

# Run a server binary as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$PGDATA/PG_VERSION" ] && as_owner "$(pgbin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

init_cluster() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  as_owner "$(pgbin)/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$PGDATA.initdb.log" 2>&1 || { cat "$PGDATA.initdb.log" >&2; exit 1; }
  cat >>"$PGDATA/postgresql.conf" <<EOF
# scripts/pg.sh: loopback only, no Unix socket, small and fast (throwaway test data).
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 50
EOF
}

start() {
  install
  init_cluster
  if ! running; then
    as_owner "$(pgbin)/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
      -o "-p $PORT" start >/dev/null || { tail -n 20 "$PGDATA/server.log" >&2; exit 1; }
  fi
  local psql=("$(pgbin)/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]
  then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$DB\""
  fi
  "${psql[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  echo "$URL"
}

stop() {
  if running; then
    as_owner "$(pgbin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  status) running ;;
  *)
    echo "usage: $0 install|start|stop|url|status" >&2
    exit 2
    ;;
esac
