# shellcheck shell=bash
# The local SMTP sink (agora-mail-sink, built with the workspace): the notifications reactor's
# mail lands in .stack/data/mail/<n>.eml instead of anyone's inbox. Started by `up` once the
# binaries exist, stopped by `down` with the infrastructure (not by `down --services`, so the
# mailbox keeps its server while services restart).

MAIL_SINK_PIDFILE="$STACK_RUN/mail-sink.pid"
MAIL_SINK_LOG="$STACK_LOGS/mail-sink.log"
MAIL_SINK_DIR="$STACK_DATA/mail"

start_mail_sink() {
  local port=$AGORA_STACK_SMTP_PORT pid
  if pid=$(pidfile_pid "$MAIL_SINK_PIDFILE"); then
    ok "mail sink running (pid $pid) on 127.0.0.1:$port, messages in $MAIL_SINK_DIR"
    return 0
  fi
  if port_open "$port"; then
    if [[ "$(port_owner_name "$port")" == agora-mail-sink ]]; then
      warn "a mail sink not started from this checkout, $(port_owner "$port"), serves 127.0.0.1:$port; using it (its messages are not in $MAIL_SINK_DIR)"
      return 0
    fi
    die "port $port (SMTP sink) is taken by $(port_owner "$port"); stop it or set AGORA_STACK_SMTP_PORT"
  fi
  if ! binaries_present agora-mail-sink; then
    warn "mail sink not started: agora-mail-sink is not built; notifications stay queued until it runs (build the workspace and rerun infra/stack up)"
    return 0
  fi
  (
    export AGORA_MAIL_SINK_ADDR="127.0.0.1:$port" AGORA_MAIL_SINK_DIR="$MAIL_SINK_DIR"
    start_bg "$MAIL_SINK_LOG" "$MAIL_SINK_PIDFILE" "$(target_bin_dir)/agora-mail-sink"
  )
  pid=$(head -n 1 "$MAIL_SINK_PIDFILE")
  local rc=0
  wait_until 10 "$pid" port_open "$port" || rc=$?
  case $rc in
    0) ok "mail sink running (pid $pid) on 127.0.0.1:$port, messages in $MAIL_SINK_DIR" ;;
    2)
      show_log_tail "$MAIL_SINK_LOG"
      die "agora-mail-sink exited during start-up (log: $MAIL_SINK_LOG)"
      ;;
    *)
      show_log_tail "$MAIL_SINK_LOG"
      die "agora-mail-sink did not accept connections on 127.0.0.1:$port within 10 s (log: $MAIL_SINK_LOG)"
      ;;
  esac
}

status_mail_sink() {
  local pid port=$AGORA_STACK_SMTP_PORT
  if pid=$(pidfile_pid "$MAIL_SINK_PIDFILE"); then
    status_line mail-sink running "$pid" "127.0.0.1:$port ($MAIL_SINK_DIR)"
  elif port_open "$port"; then
    status_line mail-sink external "-" "127.0.0.1:$port ($(port_owner "$port"), not ours)"
  else
    status_line mail-sink stopped "-" "127.0.0.1:$port"
  fi
}
