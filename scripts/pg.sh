#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the tests and for trying the PostGIS store.
#
#   scripts/pg.sh install   install Debian's postgresql and its PostGIS package if missing
#   scripts/pg.sh start     install if needed, create the cluster if needed, start it on 127.0.0.1,
#                           create the database and the postgis extension, and print the URL
#   scripts/pg.sh url       print the URL (postgresql://postgres@127.0.0.1:PORT/wanbei)
#   scripts/pg.sh status    exit 0 if the cluster is running
#   scripts/pg.sh stop      stop the cluster (its files stay)
#   scripts/pg.sh drop      stop the cluster and delete its files
#
# Where: $WANBEI_PG_DIR, else .cache/postgres in this checkout, or, as root, a directory in the
# home of the `postgres` user (PostgreSQL refuses to run as root, so as root the cluster belongs
# to the `postgres` user the Debian package creates, and it must be able to reach its files: a
# checkout under /root or in a mode-700 folder is out of its reach).
# Port: $WANBEI_PG_PORT, else the one the cluster was created with, else a free port picked when
# the cluster is created. The tests (tests/conftest.py) give each run a fresh directory under the
# temporary folder and a free port, and delete the cluster when they finish.
#
# The cluster listens on the loopback interface only, with no Unix socket, and trusts local
# connections: it holds nothing but test data.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${WANBEI_PG_DIR:-}" ]; then
  PGDATA="$WANBEI_PG_DIR"
elif [ "$(id -u)" = 0 ]; then
  # one cluster per checkout, named after the checkout's path
  PGDATA="$(getent passwd postgres | cut -d: -f6)/wanbei-$(printf %s "$ROOT" | sha1sum | cut -c1-12)"
else
  PGDATA="$ROOT/.cache/postgres"
fi
DB="${WANBEI_PG_DB:-wanbei}"
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

# The cluster's port: $WANBEI_PG_PORT, else the one in its postgresql.conf (empty if none yet).
port() {
  if [ -n "${WANBEI_PG_PORT:-}" ]; then
    echo "$WANBEI_PG_PORT"
  elif [ -f "$PGDATA/postgresql.conf" ]; then
    sed -n 's/^port = \([0-9][0-9]*\).*/\1/p' "$PGDATA/postgresql.conf" | tail -n 1
  fi
}

# A TCP port on the loopback interface that nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init_cluster() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  if ! as_owner test -w "$PGDATA"; then
    echo "pg.sh: the postgres user cannot reach $PGDATA (a folder above it is closed to it);" \
      "set WANBEI_PG_DIR to a directory it can reach, e.g. under /tmp" >&2
    exit 1
  fi
  local port
  port="$(port)"
  [ -n "$port" ] || port="$(free_port)"
  as_owner "$(pgbin)/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$PGDATA.initdb.log" 2>&1 || { cat "$PGDATA.initdb.log" >&2; exit 1; }
  cat >>"$PGDATA/postgresql.conf" <<EOF
# scripts/pg.sh: loopback only, no Unix socket, small and fast (throwaway test data).
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 50
EOF
}

url() {
  local port
  port="$(port)"
  [ -n "$port" ] || { echo "pg.sh: no cluster in $PGDATA yet: run scripts/pg.sh start" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$port/$DB"
}

start() {
  install
  init_cluster
  local port
  port="$(port)"
  if ! running; then
    as_owner "$(pgbin)/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
      -o "-p $port" start >/dev/null || { tail -n 20 "$PGDATA/server.log" >&2; exit 1; }
  fi
  local psql=("$(pgbin)/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]
  then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$DB\""
  fi
  "${psql[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  url
}

stop() {
  if running; then
    as_owner "$(pgbin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
}

drop() {
  stop
  rm -rf "$PGDATA" "$PGDATA.initdb.log"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  drop) drop ;;
  url) url ;;
  status) running ;;
  *)
    echo "usage: $0 install|start|stop|drop|url|status" >&2
    exit 2
    ;;
esac
