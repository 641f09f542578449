# shellcheck shell=bash
# Postgres for the stack: the machine's own server on 127.0.0.1:5432 when it answers and lets
# user `postgres` in without a password; otherwise a private cluster under .stack/data/postgres
# on 127.0.0.1:5433 (trust auth, user postgres), started and stopped by this script.
# AGORA_STACK_OWN_POSTGRES=1 forces the private cluster.

PG_PRIVATE_DATA="$STACK_DATA/postgres"
PG_PRIVATE_LOG="$STACK_LOGS/postgres.log"
PG_PRIVATE_SOCKETS="$STACK_RUN/postgres"

# Filled by select_postgres: "system" or "private", and the port.
PG_MODE=""
PG_PORT=""

pg_can_login() {
  PGCONNECT_TIMEOUT=3 psql -X -q -w -h 127.0.0.1 -p "$1" -U postgres -d postgres \
    -Atc 'SELECT 1' >/dev/null 2>&1
}

# Postgres refuses to run as root, so as root the private cluster belongs to user postgres
# (created by Debian's server package). As anyone else it belongs to that user.
pg_owner() {
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root, and there is no 'postgres' user to own a private Postgres cluster (install Debian's postgresql package)"
    printf 'postgres\n'
  else
    id -un
  fi
}

# Runs a Postgres server tool as the cluster's owner.
pg_as_owner() {
  local owner
  owner=$(pg_owner)
  if [[ "$owner" == "$(id -un)" ]]; then
    "$@"
  else
    runuser -u "$owner" -- "$@"
  fi
}

# Pid of the running private cluster's postmaster, if any.
private_pg_pid() {
  local pid
  [[ -f "$PG_PRIVATE_DATA/postmaster.pid" ]] || return 1
  pid=$(head -n 1 "$PG_PRIVATE_DATA/postmaster.pid")
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
  printf '%s\n' "$pid"
}

start_private_postgres() {
  local port=$AGORA_STACK_PRIVATE_PG_PORT bindir owner pid
  if pid=$(private_pg_pid); then
    ok "postgres (private cluster, pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  bindir=$(postgres_bindir)
  [[ -n "$bindir" ]] || die "no Postgres server binaries (initdb) found; install Debian's postgresql package"
  if port_open "$port"; then
    die "port $port (private Postgres) is taken by $(port_owner "$port"); stop it or set AGORA_STACK_PRIVATE_PG_PORT"
  fi
  owner=$(pg_owner)
  mkdir -p "$PG_PRIVATE_DATA" "$PG_PRIVATE_SOCKETS" "$STACK_LOGS"
  touch "$PG_PRIVATE_LOG"
  if [[ "$owner" != "$(id -un)" ]]; then
    chown "$owner" "$PG_PRIVATE_DATA" "$PG_PRIVATE_SOCKETS" "$PG_PRIVATE_LOG"
    pg_as_owner test -w "$PG_PRIVATE_DATA" ||
      die "user $owner cannot write $PG_PRIVATE_DATA (a parent directory is closed to it); move the checkout or run as a normal user"
  fi
  chmod 0700 "$PG_PRIVATE_DATA"
  if [[ ! -f "$PG_PRIVATE_DATA/PG_VERSION" ]]; then
    say "creating a private Postgres cluster in $PG_PRIVATE_DATA (trust auth, user postgres)"
    pg_as_owner "$bindir/initdb" -D "$PG_PRIVATE_DATA" -U postgres --auth=trust -E UTF8 \
      --no-locale >>"$PG_PRIVATE_LOG" 2>&1 || {
      show_log_tail "$PG_PRIVATE_LOG"
      die "initdb failed (log: $PG_PRIVATE_LOG)"
    }
  fi
  say "starting private Postgres on 127.0.0.1:$port"
  # pg_ctl -w polls the server itself and returns once it accepts connections. fd 9 (the stack
  # lock) is closed so the server does not hold the lock for its whole life.
  if ! pg_as_owner "$bindir/pg_ctl" -D "$PG_PRIVATE_DATA" -l "$PG_PRIVATE_LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_PRIVATE_SOCKETS" start >/dev/null 9>&-; then
    show_log_tail "$PG_PRIVATE_LOG"
    die "private Postgres did not start (log: $PG_PRIVATE_LOG)"
  fi
  ok "postgres (private cluster, pid $(private_pg_pid || echo '?')) on 127.0.0.1:$port; log $PG_PRIVATE_LOG"
}

stop_private_postgres() {
  local bindir pid
  pid=$(private_pg_pid) || return 0
  bindir=$(postgres_bindir)
  if [[ -n "$bindir" ]] && pg_as_owner "$bindir/pg_ctl" -D "$PG_PRIVATE_DATA" -m fast -w -t 30 stop >/dev/null; then
    ok "stopped private postgres (pid $pid)"
  else
    warn "pg_ctl stop failed; sending SIGINT (fast shutdown) to $pid"
    kill -INT "$pid" 2>/dev/null || true
    wait_until 30 "" pid_gone "$pid" || warn "private postgres (pid $pid) is still running"
  fi
}

# Decides which Postgres the stack uses, starting the private one when needed.
select_postgres() {
  if [[ "${AGORA_STACK_OWN_POSTGRES:-0}" != 1 ]] && system_postgres_answers; then
    if pg_can_login "$AGORA_STACK_SYSTEM_PG_PORT"; then
      PG_MODE=system PG_PORT=$AGORA_STACK_SYSTEM_PG_PORT
      ok "postgres: using the server already on 127.0.0.1:$PG_PORT (not managed by this script)"
      return 0
    fi
    warn "a Postgres answers on 127.0.0.1:$AGORA_STACK_SYSTEM_PG_PORT but refuses user postgres without a password; using a private cluster instead"
  fi
  start_private_postgres
  PG_MODE=private PG_PORT=$AGORA_STACK_PRIVATE_PG_PORT
}

# The Postgres recorded in .stack/env by the last `up` ("system:5432", "private:5433"), if any.
recorded_postgres() {
  [[ -f "$STACK_ENV_FILE" ]] || return 1
  sed -n 's/^export AGORA_STACK_POSTGRES=//p' "$STACK_ENV_FILE" | head -n 1
}

# True when the stack's Postgres holds Agora's database (derived read-model state).
postgres_has_agora_db() {
  local n
  n=$(psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc \
    "SELECT count(*) FROM pg_database WHERE datname = 'agora'" 2>/dev/null) || return 1
  [[ "$n" == 1 ]]
}

# Drops the databases earlier test runs left behind (each test namespace creates one named
# `t_<label>_<id>`), so repeated runs do not pile them up in a shared server.
postgres_drop_test_databases() {
  local names name dropped=0
  names=$(psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'" 2>/dev/null) || return 0
  while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    if psql -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
      -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1; then
      dropped=$((dropped + 1))
    fi
  done <<<"$names"
  ((dropped == 0)) || ok "dropped $dropped test databases left by earlier runs"
}
