# PostgreSQL for tests and development: a private cluster (initdb + pg_ctl) on 127.0.0.1, never the
# system cluster. Sourced by up.sh/down.sh after lib.sh.
#
# State: .services/postgres/ (postgres.pid, port, postgres.env; data/, run/ and postgres.log in its
# home, which is .services/postgres itself unless the postgres user cannot reach it, then a
# directory under /var/tmp that .services/postgres/home points to).
# Environment: ORDERPULSE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:<port>/orderpulse
# (trust authentication on loopback: a test database, not a deployment).

POSTGRES_DIR="$SERVICES_DIR/postgres"
POSTGRES_FIRST_PORT="${ORDERPULSE_POSTGRES_PORT:-55432}"
POSTGRES_DATABASE=orderpulse

postgres_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
    echo "$dir"
  fi
}

postgres_install() {
  if [[ -n "$(postgres_bindir)" ]]; then
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); as root: apt-get install -y postgresql"
  log "installing PostgreSQL from Debian (apt-get install -y postgresql); log: $POSTGRES_DIR/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q postgresql >"$POSTGRES_DIR/apt.log" 2>&1; then
    log "apt-get install failed; running apt-get update first"
    apt-get update -q >>"$POSTGRES_DIR/apt.log" 2>&1 || die "apt-get update failed; see $POSTGRES_DIR/apt.log"
    apt-get install -y -q postgresql >>"$POSTGRES_DIR/apt.log" 2>&1 || die "apt-get install -y postgresql failed; see $POSTGRES_DIR/apt.log"
  fi
  [[ -n "$(postgres_bindir)" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
}

# The data directory, as it appears on the server's command line (-D).
postgres_data_dir() {
  if [[ -L "$POSTGRES_DIR/home" ]]; then
    echo "$(readlink "$POSTGRES_DIR/home")/data"
  else
    echo "$POSTGRES_DIR/data"
  fi
}

# The directory the server's own files live in: it must be writable by the postgres user.
postgres_home() {
  if [[ -L "$POSTGRES_DIR/home" ]]; then
    readlink "$POSTGRES_DIR/home"
    return
  fi
  if [[ "$(id -u)" != 0 ]]; then
    echo "$POSTGRES_DIR"
    return
  fi
  chown postgres: "$POSTGRES_DIR"
  if runuser -u postgres -- test -w "$POSTGRES_DIR" 2>/dev/null; then
    echo "$POSTGRES_DIR"
    return
  fi
  # The repository is somewhere the postgres user cannot reach (e.g. under /root).
  local home
  home="/var/tmp/orderpulse-postgres-$(printf '%s' "$POSTGRES_DIR" | sha256sum | cut -c1-12)"
  mkdir -p "$home"
  chown postgres: "$home"
  ln -sfn "$home" "$POSTGRES_DIR/home"
  echo "$home"
}

postgres_up() {
  local started bindir home data port pid
  started="$(now_ms)"
  mkdir -p "$POSTGRES_DIR"
  postgres_install
  bindir="$(postgres_bindir)"
  home="$(postgres_home)"
  data="$home/data"

  pid="$(read_pid "$POSTGRES_DIR/postgres.pid")"
  if pid_alive "$pid" "-D $data"; then
    port="$(cat "$POSTGRES_DIR/port")"
    log "postgres already running (pid $pid, port $port)"
  else
    if [[ ! -f "$data/PG_VERSION" ]]; then
      log "initdb $data ($("$bindir/postgres" --version))"
      rm -rf "$data"
      mkdir -p "$data"
      if [[ "$(id -u)" == 0 ]]; then chown postgres: "$data"; fi
      run_as_postgres "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale \
        >"$home/initdb.log" 2>&1 || die "initdb failed; see $home/initdb.log"
    fi
    mkdir -p "$home/run"
    if [[ "$(id -u)" == 0 ]]; then chown postgres: "$home/run"; fi
    port="$(cat "$POSTGRES_DIR/port" 2>/dev/null || true)"
    if [[ -z "$port" ]] || port_in_use "$port"; then
      port="$(free_port "$POSTGRES_FIRST_PORT")"
    fi
    echo "$port" >"$POSTGRES_DIR/port"
    log "starting postgres on 127.0.0.1:$port; log: $home/postgres.log"
    run_as_postgres "$bindir/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $home/run" start >/dev/null 2>&1 ||
      die "postgres did not start within 60 s; see $home/postgres.log"
    pid="$(head -n1 "$data/postmaster.pid")"
    echo "$pid" >"$POSTGRES_DIR/postgres.pid"
  fi

  wait_until 30 "postgres accepting connections" "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres ||
    die "postgres on port $port is not ready after 30 s; see $home/postgres.log"
  if [[ "$("$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DATABASE'")" != 1 ]]; then
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $POSTGRES_DATABASE" >/dev/null ||
      die "cannot create database $POSTGRES_DATABASE"
  fi
  write_env postgres "export ORDERPULSE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$POSTGRES_DATABASE"
  log "postgres ready: 127.0.0.1:$port/$POSTGRES_DATABASE (pid $(read_pid "$POSTGRES_DIR/postgres.pid"), $(( $(now_ms) - started )) ms)"
}

postgres_running() {
  pid_alive "$(read_pid "$POSTGRES_DIR/postgres.pid")" "-D $(postgres_data_dir)"
}

postgres_down() {
  # SIGINT is PostgreSQL's fast shutdown: sessions end, the cluster is written out cleanly.
  stop_pid "$POSTGRES_DIR/postgres.pid" postgres "-D $(postgres_data_dir)" INT 30
  drop_env postgres
}
