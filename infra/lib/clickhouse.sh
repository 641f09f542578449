# shellcheck shell=bash
# The local ClickHouse server: the project's config templates (infra/clickhouse/) rendered into
# .stack/clickhouse/, data under .stack/data/clickhouse, loopback only, user `default` without
# a password. Debian's 18.16 runs fine as root or as an ordinary user with these paths.

CLICKHOUSE_TEMPLATES="$REPO_ROOT/infra/clickhouse"
CLICKHOUSE_CONF_DIR="$STACK_DIR/clickhouse"
CLICKHOUSE_PIDFILE="$STACK_RUN/clickhouse.pid"
CLICKHOUSE_LOG="$STACK_LOGS/clickhouse-server.log"
CLICKHOUSE_ERR_LOG="$STACK_LOGS/clickhouse-server.err.log"
CLICKHOUSE_STDOUT_LOG="$STACK_LOGS/clickhouse.log"

clickhouse_url() { printf 'http://127.0.0.1:%s\n' "$AGORA_STACK_CLICKHOUSE_HTTP_PORT"; }

clickhouse_ping() {
  [[ "$(curl -s --max-time 2 "$(clickhouse_url)/ping" 2>/dev/null)" == "Ok." ]]
}

# Runs one query over HTTP and prints the result (TabSeparated).
clickhouse_query() {
  curl -sS --fail-with-body --max-time 10 --data-binary "$1" "$(clickhouse_url)/"
}

# Renders the templates; rewrites a file only when it changes, because a running server
# watches its config files and would reload for nothing.
render_clickhouse_config() {
  mkdir -p "$CLICKHOUSE_CONF_DIR" "$STACK_DATA/clickhouse" "$STACK_LOGS"
  local stack_esc name tmp
  stack_esc=$(sed_replacement_escape "$STACK_DIR")
  for name in config.xml users.xml; do
    tmp="$CLICKHOUSE_CONF_DIR/.$name.tmp"
    sed -e "s|@STACK@|$stack_esc|g" \
      -e "s|@HTTP_PORT@|$AGORA_STACK_CLICKHOUSE_HTTP_PORT|g" \
      -e "s|@TCP_PORT@|$AGORA_STACK_CLICKHOUSE_TCP_PORT|g" \
      "$CLICKHOUSE_TEMPLATES/$name" >"$tmp"
    if cmp -s "$tmp" "$CLICKHOUSE_CONF_DIR/$name"; then
      rm -f "$tmp"
    else
      mv "$tmp" "$CLICKHOUSE_CONF_DIR/$name"
    fi
  done
}

# The server command: Debian ships `clickhouse-server`; official builds may only have the
# multi-call `clickhouse` binary.
clickhouse_server_cmd() {
  if command -v clickhouse-server >/dev/null 2>&1; then
    printf '%s\n' "$(command -v clickhouse-server)"
  elif command -v clickhouse >/dev/null 2>&1; then
    printf '%s\n' "$(command -v clickhouse)"
  else
    die "clickhouse-server is not installed (infra/stack up installs Debian's clickhouse-server)"
  fi
}

start_clickhouse() {
  local http=$AGORA_STACK_CLICKHOUSE_HTTP_PORT tcp=$AGORA_STACK_CLICKHOUSE_TCP_PORT pid
  render_clickhouse_config
  if pid=$(pidfile_pid "$CLICKHOUSE_PIDFILE"); then
    if wait_until 30 "$pid" clickhouse_ping; then
      ok "clickhouse running (pid $pid) on 127.0.0.1:$http (http), 127.0.0.1:$tcp (native)"
      return 0
    fi
    show_log_tail "$CLICKHOUSE_ERR_LOG"
    die "clickhouse (pid $pid) runs but does not answer $(clickhouse_url)/ping (log: $CLICKHOUSE_LOG)"
  fi
  if port_open "$http"; then
    if clickhouse_ping; then
      warn "a ClickHouse not started from this checkout, $(port_owner "$http"), serves 127.0.0.1:$http; using it (infra/stack down will not stop it)"
      return 0
    fi
    die "port $http (ClickHouse HTTP) is taken by $(port_owner "$http"); stop it or set AGORA_STACK_CLICKHOUSE_HTTP_PORT"
  fi
  if port_open "$tcp"; then
    die "port $tcp (ClickHouse native) is taken by $(port_owner "$tcp"); stop it or set AGORA_STACK_CLICKHOUSE_TCP_PORT"
  fi

  local cmd
  cmd=$(clickhouse_server_cmd)
  local args=("$cmd")
  [[ "${cmd##*/}" == clickhouse ]] && args+=(server)
  args+=("--config-file=$CLICKHOUSE_CONF_DIR/config.xml")
  say "starting clickhouse on 127.0.0.1:$http (http) and 127.0.0.1:$tcp (native)"
  # Started from its config directory: 18.16 resolves users.xml relative to the config file.
  (cd "$CLICKHOUSE_CONF_DIR" && start_bg "$CLICKHOUSE_STDOUT_LOG" "$CLICKHOUSE_PIDFILE" "${args[@]}")
  pid=$(head -n 1 "$CLICKHOUSE_PIDFILE")
  local rc=0
  wait_until 60 "$pid" clickhouse_ping || rc=$?
  case $rc in
    0) ok "clickhouse running (pid $pid), version $(clickhouse_query 'SELECT version()' || echo '?'); logs in $STACK_LOGS/clickhouse*.log" ;;
    *)
      show_log_tail "$CLICKHOUSE_ERR_LOG"
      show_log_tail "$CLICKHOUSE_STDOUT_LOG" 10
      if ((rc == 2)); then
        die "clickhouse exited during start-up (logs: $CLICKHOUSE_ERR_LOG, $CLICKHOUSE_STDOUT_LOG)"
      fi
      die "clickhouse did not answer $(clickhouse_url)/ping within 60 s (logs: $CLICKHOUSE_ERR_LOG)"
      ;;
  esac
}

# True when ClickHouse holds Agora's database (derived analytics state).
clickhouse_has_agora_db() {
  local n
  n=$(clickhouse_query "SELECT count() FROM system.databases WHERE name = '${CLICKHOUSE_DATABASE:-agora}'" 2>/dev/null) || return 1
  [[ "$n" == 1 ]]
}
