# Starts a throwaway PostgreSQL cluster on 127.0.0.1 in a temporary folder, for tests and
# benchmarks. Source this file, then call start_postgres; it sets PG_URL (a superuser URL to the
# "postgres" database); the caller stops it with stop_postgres. As root, the server runs as
# the "postgres" user, since PostgreSQL refuses to run as root.

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_postgres_installed() {
  local bin
  bin=$(pg_bin_dir)
  if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    echo "== installing PostgreSQL (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
  ensure_postgres_installed
  local bin run_as
  bin=$(pg_bin_dir)
  PG_DIR=$(mktemp -d /tmp/carethread-pg.XXXXXX)
  PG_PORT=$(free_port)
  run_as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    chown postgres "$PG_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log"; return 1; }
  # fsync off for tests: this cluster is thrown away after the run, and it saves minutes of disk
  # waits. The benchmark sets PG_DURABLE=1: its writes must reach the disk, as SQLite's do.
  local durability="-c fsync=off -c synchronous_commit=off"
  if [ -n "${PG_DURABLE:-}" ]; then durability="-c shared_buffers=256MB"; fi
  "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR $durability -c max_connections=300" start >/dev/null \
    || { cat "$PG_DIR/server.log"; return 1; }
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  PG_STOP=("${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  export PG_URL
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
