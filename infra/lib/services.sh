# shellcheck shell=bash
# Agora's long-running services for `infra/stack demo`: started in the background with
# .stack/env plus AGORA_DEV=1, logs in .stack/logs/<name>.log, pids in .stack/run/<name>.pid.

# name | binary | argument | bind address variable=address (also where /healthz answers)
# The addresses are the services' own defaults, set explicitly so the URLs printed below stay
# true if a default changes.
SERVICES=(
  "processor|agora-processor||AGORA_HEALTH_ADDR=127.0.0.1:9101"
  "command-api|agora-command-api|serve|AGORA_COMMAND_ADDR=127.0.0.1:8080"
  "projector|agora-projector|run|AGORA_HEALTH_ADDR=127.0.0.1:9102"
  "query-api|agora-query-api||AGORA_QUERY_ADDR=127.0.0.1:8090"
  "saga|agora-saga||AGORA_HEALTH_ADDR=127.0.0.1:9103"
)

service_field() {
  local IFS='|' parts
  read -r -a parts <<<"$1"
  printf '%s\n' "${parts[$2]:-}"
}

# host:port a service binds (and answers /healthz on).
service_addr() {
  local bind
  bind=$(service_field "$1" 3)
  printf '%s\n' "${bind#*=}"
}

healthz_ok() { curl -fs --max-time 2 "http://$1/healthz" >/dev/null 2>&1; }

# Stops every service that has a pid file (anything in .stack/run but the infrastructure).
stop_services() {
  local file files=()
  for file in "$STACK_RUN"/*.pid; do
    [[ -e "$file" ]] || continue
    case $(basename "$file" .pid) in tansu | clickhouse | mail-sink) continue ;; esac
    files+=("$file")
  done
  ((${#files[@]} == 0)) || stop_pidfiles "${files[@]}"
}

start_service() {
  local spec=$1 name bin args extra addr dir port
  name=$(service_field "$spec" 0)
  bin=$(service_field "$spec" 1)
  args=$(service_field "$spec" 2)
  extra=$(service_field "$spec" 3)
  addr=$(service_addr "$spec")
  dir=$(target_bin_dir)
  port=${addr##*:}
  if port_open "$port"; then
    die "cannot start $name: port $port is taken by $(port_owner "$port")"
  fi
  local cmd=("$dir/$bin")
  [[ -n "$args" ]] && cmd+=("$args")
  (
    load_stack_env
    export AGORA_DEV=1 "${extra?}"
    start_bg "$STACK_LOGS/$name.log" "$STACK_RUN/$name.pid" "${cmd[@]}"
  )
  ok "started $name (pid $(head -n 1 "$STACK_RUN/$name.pid")), log $STACK_LOGS/$name.log"
}

wait_service_healthy() {
  local spec=$1 name addr pid rc=0
  name=$(service_field "$spec" 0)
  addr=$(service_addr "$spec")
  pid=$(head -n 1 "$STACK_RUN/$name.pid")
  wait_until 90 "$pid" healthz_ok "$addr" || rc=$?
  case $rc in
    0) ok "$name healthy: http://$addr/healthz" ;;
    2)
      show_log_tail "$STACK_LOGS/$name.log"
      die "$name exited during start-up (log: $STACK_LOGS/$name.log)"
      ;;
    *)
      show_log_tail "$STACK_LOGS/$name.log"
      die "$name did not answer http://$addr/healthz within 90 s (log: $STACK_LOGS/$name.log)"
      ;;
  esac
}

cmd_demo_services() {
  local spec bins=()
  for spec in "${SERVICES[@]}"; do bins+=("$(service_field "$spec" 1)"); done
  binaries_present "${bins[@]}" agora-demo-load ||
    die "the demo needs every service binary; build the workspace (cargo build --workspace --bins) and rerun"

  stop_services
  for spec in "${SERVICES[@]}"; do start_service "$spec"; done
  for spec in "${SERVICES[@]}"; do wait_service_healthy "$spec"; done

  say "loading demo data (agora-demo-load)"
  local log="$STACK_LOGS/demo-load.log" rc=0
  (
    load_stack_env
    export AGORA_DEV=1 AGORA_COMMAND_API_URL=http://127.0.0.1:8080
    "$(target_bin_dir)/agora-demo-load"
  ) 2>&1 | tee "$log" || rc=$?
  if ((rc != 0)); then
    die "agora-demo-load failed (log: $log); the services keep running (infra/stack status)"
  fi

  cat <<EOF

${C_BOLD}Agora demo is running.${C_OFF}
  GraphiQL (query API)   http://127.0.0.1:8090/graphql
  Command API            http://127.0.0.1:8080   (operations: http://127.0.0.1:8080/docs)
  ClickHouse (HTTP)      http://127.0.0.1:$AGORA_STACK_CLICKHOUSE_HTTP_PORT
  Kafka (tansu)          127.0.0.1:$AGORA_STACK_KAFKA_PORT
  Health                 http://127.0.0.1:8080/healthz  http://127.0.0.1:8090/healthz
                         http://127.0.0.1:9101/healthz (processor)  http://127.0.0.1:9102/healthz (projector)
                         http://127.0.0.1:9103/healthz (checkout saga)
  Logs                   infra/stack logs [name] [-f]   (files in $STACK_LOGS)
  Mail (SMTP sink)       smtp://127.0.0.1:$AGORA_STACK_SMTP_PORT   (messages: $MAIL_SINK_DIR/<n>.eml)
  Stop                   infra/stack down   (services and infrastructure; infra/stack reset also wipes data)
EOF
}

# One status line per service pid file.
status_services() {
  local file name pid spec addr
  for file in "$STACK_RUN"/*.pid; do
    [[ -e "$file" ]] || continue
    name=$(basename "$file" .pid)
    case $name in tansu | clickhouse | mail-sink) continue ;; esac
    addr=""
    for spec in "${SERVICES[@]}"; do
      [[ "$(service_field "$spec" 0)" == "$name" ]] && addr=$(service_addr "$spec")
    done
    if pid=$(pidfile_pid "$file"); then
      status_line "$name" running "$pid" "${addr:--}"
    else
      status_line "$name" stopped - "${addr:--}"
    fi
  done
}

status_line() { printf '%-12s %-8s pid=%-8s %s\n' "$1" "$2" "$3" "$4"; }
