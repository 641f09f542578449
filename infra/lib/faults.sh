# shellcheck shell=bash
# `infra/stack faults [--minutes N] [--seed S]`: the fault suite (infra/faults,
# docs/RELIABILITY.md). The suite deploys Agora privately on the running stack (own topics,
# databases and ports), so it needs the broker and ClickHouse from `up`. Postgres: a throw-away
# cluster of its own on a free port, so that the suite can really restart Postgres under load
# without disturbing anyone else's tests; when no Postgres server binaries are installed, it
# uses the stack's server and terminates its own database's backends instead (said in the
# summary). The broker is frozen with SIGSTOP/SIGCONT; SIGCONT is sent again on every exit path.

FAULTS_PG_DIR=""
FAULTS_PG_PORT=""
FAULTS_BROKER_PID=""

# A TCP port nothing listens on, from a range the stack does not use.
faults_free_port() {
  local port
  for port in $(seq 55432 55531); do
    port_open "$port" || {
      printf '%s\n' "$port"
      return 0
    }
  done
  return 1
}

# Creates and starts the suite's own Postgres; sets FAULTS_PG_DIR and FAULTS_PG_PORT.
start_faults_postgres() {
  local bindir owner
  bindir=$(postgres_bindir)
  [[ -n "$bindir" ]] || return 1
  owner=$(pg_owner)
  FAULTS_PG_PORT=$(faults_free_port) || return 1
  FAULTS_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/agora-faults-pg.XXXXXX")
  [[ "$owner" == "$(id -un)" ]] || chown "$owner" "$FAULTS_PG_DIR"
  pg_as_owner "$bindir/initdb" -D "$FAULTS_PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    --no-locale >"$FAULTS_PG_DIR/initdb.log" 2>&1 || return 1
  # fsync off: the cluster is thrown away after the run, and a restart is a clean shutdown.
  pg_as_owner "$bindir/pg_ctl" -D "$FAULTS_PG_DIR/data" -l "$FAULTS_PG_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $FAULTS_PG_PORT -k $FAULTS_PG_DIR -c max_connections=300 -c fsync=off" \
    start >/dev/null 9>&- || return 1
}

# The shell command that restarts the suite's Postgres (run by the chaos driver).
faults_pg_restart_command() {
  local bindir prefix=""
  bindir=$(postgres_bindir)
  [[ "$(pg_owner)" == "$(id -un)" ]] || prefix="runuser -u $(pg_owner) -- "
  printf '%s%q -D %q -l %q -m fast -w -t 60 restart >/dev/null' "$prefix" "$bindir/pg_ctl" \
    "$FAULTS_PG_DIR/data" "$FAULTS_PG_DIR/postgres.log"
}

# Undoes what run_fault_suite set up: thaws the broker, removes the suite's Postgres.
faults_cleanup() {
  [[ -z "$FAULTS_BROKER_PID" ]] || kill -CONT "$FAULTS_BROKER_PID" 2>/dev/null || true
  if [[ -n "$FAULTS_PG_DIR" && -d "$FAULTS_PG_DIR/data" ]]; then
    pg_as_owner "$(postgres_bindir)/pg_ctl" -D "$FAULTS_PG_DIR/data" -m immediate -w -t 30 stop \
      >/dev/null 2>&1 || true
  fi
  [[ -z "$FAULTS_PG_DIR" ]] || rm -rf -- "$FAULTS_PG_DIR"
  FAULTS_PG_DIR=""
}

# run_fault_suite [flags of agora-fault-suite]: needs the stack up and the binaries built.
run_fault_suite() {
  local dir rc=0
  dir=$(target_bin_dir)
  binaries_present agora-fault-suite agora-processor agora-saga agora-projector \
    agora-command-api agora-query-api ||
    die "the fault suite needs the workspace binaries; build them (cargo build --workspace --bins)"
  FAULTS_BROKER_PID=$(pidfile_pid "$TANSU_PIDFILE" || true)
  [[ -n "$FAULTS_BROKER_PID" ]] ||
    warn "the broker was not started by this stack; the suite cannot freeze it (its check will fail)"
  trap faults_cleanup EXIT
  local pg_env=()
  if start_faults_postgres; then
    ok "fault suite Postgres on 127.0.0.1:$FAULTS_PG_PORT ($FAULTS_PG_DIR)"
    pg_env=(
      "AGORA_PG_ADMIN_URL=postgres://postgres@127.0.0.1:$FAULTS_PG_PORT/postgres?sslmode=disable"
      "AGORA_FAULTS_PG_RESTART=$(faults_pg_restart_command)"
    )
  else
    warn "could not start a private Postgres for the suite; it will terminate its own database's backends on the stack's server instead of restarting Postgres"
    faults_cleanup
  fi
  say "agora-fault-suite $*"
  (
    load_stack_env
    export AGORA_FAULTS_BROKER_PID="$FAULTS_BROKER_PID" "${pg_env[@]}"
    exec "$dir/agora-fault-suite" "$@"
  ) || rc=$?
  faults_cleanup
  trap - EXIT
  return "$rc"
}
