# shellcheck shell=bash
# Agora's own side of the stack: the env file, building the binaries, and bootstrapping the
# broker and databases through those binaries (agora-admin, agora-projector).

# Where cargo puts binaries: honours CARGO_TARGET_DIR and AGORA_PROFILE=release.
target_bin_dir() {
  local target=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
  [[ "$target" == /* ]] || target="$REPO_ROOT/$target"
  if [[ "${AGORA_PROFILE:-debug}" == release ]]; then
    printf '%s/release\n' "$target"
  else
    printf '%s/debug\n' "$target"
  fi
}

# Writes .stack/env, sourceable by any shell (`. .stack/env`) and read by every binary.
write_stack_env() {
  local tmp="$STACK_ENV_FILE.tmp"
  mkdir -p "$STACK_DIR"
  {
    printf '# Written by infra/stack up; source it to talk to the local stack.\n'
    printf '# Postgres: %s server on 127.0.0.1:%s.\n' "$PG_MODE" "$PG_PORT"
    printf 'export AGORA_KAFKA_BROKERS=127.0.0.1:%s\n' "$AGORA_STACK_KAFKA_PORT"
    printf 'export AGORA_PARTITIONS=%s\n' "$AGORA_STACK_PARTITIONS"
    printf 'export DATABASE_URL=postgres://postgres@127.0.0.1:%s/agora?sslmode=disable\n' "$PG_PORT"
    printf 'export AGORA_PG_ADMIN_URL=postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable\n' "$PG_PORT"
    printf 'export CLICKHOUSE_URL=http://127.0.0.1:%s\n' "$AGORA_STACK_CLICKHOUSE_HTTP_PORT"
    printf 'export CLICKHOUSE_DATABASE=agora\n'
    printf 'export AGORA_SMTP_URL=smtp://127.0.0.1:%s\n' "$AGORA_STACK_SMTP_PORT"
    printf 'export AGORA_STACK_POSTGRES=%s:%s\n' "$PG_MODE" "$PG_PORT"
  } >"$tmp"
  mv "$tmp" "$STACK_ENV_FILE"
  ok "wrote $STACK_ENV_FILE"
}

build_binaries() {
  if [[ "${AGORA_SKIP_BUILD:-0}" == 1 ]]; then
    say "AGORA_SKIP_BUILD=1: not building; using binaries already in $(target_bin_dir)"
    return 0
  fi
  command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust (rustup) or set AGORA_SKIP_BUILD=1"
  local args=(build --workspace --bins)
  [[ "${AGORA_PROFILE:-debug}" == release ]] && args+=(--release)
  say "cargo ${args[*]}"
  if ! cargo "${args[@]}"; then
    die "cargo build failed (output above); the workspace must compile before the stack can bootstrap, run the demo or run tests"
  fi
}

# True when every named binary has been built; names the missing ones on stderr otherwise.
binaries_present() {
  local dir name missing=()
  dir=$(target_bin_dir)
  for name in "$@"; do
    [[ -x "$dir/$name" ]] || missing+=("$dir/$name")
  done
  if ((${#missing[@]} > 0)); then
    printf '    not built: %s\n' "${missing[@]}" >&2
    return 1
  fi
}

# Runs a project binary with .stack/env, logging to .stack/logs/bootstrap.log and echoing its
# output. Prints the output on stdout for callers that parse it.
run_with_stack_env() {
  local log="$STACK_LOGS/bootstrap.log" out rc=0
  printf '\n=== %s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
  out=$(
    load_stack_env
    "$@" 2>&1
  ) || rc=$?
  printf '%s\n' "$out" >>"$log"
  printf '%s\n' "$out"
  return "$rc"
}

# Creates topics and the log epoch, then migrates databases. A step whose binary does not exist
# yet (the workspace is still being written) is skipped, loudly.
bootstrap() {
  local dir admin projector out
  dir=$(target_bin_dir)
  admin="$dir/agora-admin" projector="$dir/agora-projector"
  if ! binaries_present agora-admin; then
    warn "bootstrap skipped: agora-admin is not built, so topics, the log epoch and migrations were NOT created; build the workspace and rerun infra/stack up"
    return 0
  fi

  say "bootstrap: agora-admin topics"
  if ! out=$(run_with_stack_env "$admin" topics); then
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
    die "agora-admin topics failed (log: $STACK_LOGS/bootstrap.log)"
  fi
  printf '%s\n' "$out" | sed 's/^/    /'
  local epoch fresh
  epoch=$(printf '%s\n' "$out" | sed -n 's/^log_epoch=//p' | tail -n 1)
  fresh=$(printf '%s\n' "$out" | sed -n 's/^fresh_broker=//p' | tail -n 1)
  [[ -n "$epoch" ]] || warn "agora-admin topics printed no log_epoch=<uuid> line"
  if [[ "$fresh" == true ]] && { postgres_has_agora_db || clickhouse_has_agora_db; }; then
    printf '%s\n' "${C_YEL}${C_BOLD}!!! The broker is new (tansu keeps its log in memory and was restarted), but Postgres/ClickHouse still hold derived state from an older log. The event archive is republished first when there is one; agora-projector migrate then RESETS derived state and the projectors rebuild it from the log.${C_OFF}"
  fi

  if ! binaries_present agora-projector; then
    warn "migrations skipped: agora-projector is not built, so databases and tables were NOT created; build the workspace and rerun infra/stack up"
    return 0
  fi
  # A new, empty broker beside an event archive: put the log back before anything writes to it
  # (a processor's marker would make the topic non-empty and the restore refuse).
  if [[ "$fresh" == true ]] && postgres_has_agora_db; then
    say "bootstrap: agora-projector restore (the broker is empty; republishing the event archive)"
    local rc=0
    out=$(run_with_stack_env "$projector" restore) || rc=$?
    [[ -z "$out" ]] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
    case $rc in
      0) ok "restored the log from the event archive; read models will be rebuilt from it" ;;
      3) say "nothing restored (empty archive or a non-empty topic); continuing" ;;
      *) die "agora-projector restore failed (log: $STACK_LOGS/bootstrap.log)" ;;
    esac
  fi
  say "bootstrap: agora-projector migrate"
  if ! out=$(run_with_stack_env "$projector" migrate); then
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
    die "agora-projector migrate failed (log: $STACK_LOGS/bootstrap.log)"
  fi
  [[ -z "$out" ]] || printf '%s\n' "$out" | sed 's/^/    /'
  ok "bootstrap done (log epoch ${epoch:-unknown})"
}
