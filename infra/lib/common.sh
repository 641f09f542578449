# shellcheck shell=bash
# Shared helpers for infra/stack: paths, ports, messages, background processes, polling.
# Sourced, never run. Expects REPO_ROOT to be set by the caller.

# --- Layout ---------------------------------------------------------------------------------
# Everything the stack creates lives under one git-ignored directory, so `rm -rf .stack` is a
# complete uninstall and nothing leaks into the rest of the machine.
STACK_DIR="$REPO_ROOT/.stack"
STACK_DATA="$STACK_DIR/data"
STACK_LOGS="$STACK_DIR/logs"
STACK_RUN="$STACK_DIR/run"
STACK_CACHE="$STACK_DIR/cache"
STACK_BIN="$STACK_DIR/bin"
STACK_ENV_FILE="$STACK_DIR/env"

# --- Ports (loopback only). Overridable for machines where a default is taken. ---------------
: "${AGORA_STACK_KAFKA_PORT:=9092}"
: "${AGORA_STACK_CLICKHOUSE_HTTP_PORT:=8123}"
: "${AGORA_STACK_CLICKHOUSE_TCP_PORT:=9000}"
: "${AGORA_STACK_SYSTEM_PG_PORT:=5432}"
: "${AGORA_STACK_PRIVATE_PG_PORT:=5433}"
: "${AGORA_STACK_PARTITIONS:=4}"
: "${AGORA_STACK_SMTP_PORT:=2525}"

# Servers do odd things with odd ports (ClickHouse 18.16 wraps 99999 to 34463), so check first.
check_ports() {
  local var
  for var in AGORA_STACK_KAFKA_PORT AGORA_STACK_CLICKHOUSE_HTTP_PORT AGORA_STACK_CLICKHOUSE_TCP_PORT \
    AGORA_STACK_SYSTEM_PG_PORT AGORA_STACK_PRIVATE_PG_PORT AGORA_STACK_SMTP_PORT; do
    if ! [[ "${!var}" =~ ^[0-9]+$ ]] || ((${!var} < 1 || ${!var} > 65535)); then
      printf 'error: %s=%s is not a TCP port\n' "$var" "${!var}" >&2
      exit 1
    fi
  done
}
check_ports

# --- Messages ---------------------------------------------------------------------------------
# Colour only when a person is watching; CI logs stay plain.
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  C_BOLD=$'\e[1m' C_RED=$'\e[31m' C_YEL=$'\e[33m' C_GRN=$'\e[32m' C_OFF=$'\e[0m'
else
  C_BOLD='' C_RED='' C_YEL='' C_GRN='' C_OFF=''
fi

say() { printf '%s==>%s %s\n' "$C_BOLD" "$C_OFF" "$*"; }
ok() { printf '%s ok%s %s\n' "$C_GRN" "$C_OFF" "$*"; }
warn() { printf '%swarning:%s %s\n' "$C_YEL" "$C_OFF" "$*" >&2; }
die() {
  printf '%serror:%s %s\n' "$C_RED" "$C_OFF" "$*" >&2
  exit 1
}

# Prints the last lines of a log, indented, so a failure explains itself without a second command.
# Logs written through start_bg hold one "=== ... started by infra/stack" header per start; only
# the part after the last header belongs to the run that failed.
show_log_tail() {
  local log=$1 lines=${2:-20} from
  if [[ -s "$log" ]]; then
    from=$(grep -n '^=== .* started by infra/stack: ' "$log" | tail -n 1 | cut -d : -f 1 || true)
    printf '    --- last %s lines of %s ---\n' "$lines" "$log" >&2
    tail -n "+${from:-1}" "$log" | tail -n "$lines" | sed 's/^/    /' >&2
  else
    printf '    (%s is empty or missing)\n' "$log" >&2
  fi
}

# --- Privileges -------------------------------------------------------------------------------
is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as root: directly when we are root, through sudo otherwise. Without a terminal
# (CI) sudo must not prompt, so it is asked to fail instead (-n).
as_root() {
  if is_root; then
    "$@"
  elif ! command -v sudo >/dev/null 2>&1; then
    die "need root for: $*  (not root and sudo is not installed)"
  elif [[ -t 0 ]]; then
    sudo "$@"
  else
    sudo -n "$@"
  fi
}

# --- Network ----------------------------------------------------------------------------------
# True when something accepts TCP connections on 127.0.0.1:<port>.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Describes the process listening on a port ("tansu (pid 123)"), or "unknown process" when the
# kernel will not tell us (another user's process without root).
port_owner() {
  local port=$1 line name pid
  line=$(ss -ltnpH "sport = :$port" 2>/dev/null | head -n 1 || true)
  if [[ "$line" =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
    name=${BASH_REMATCH[1]} pid=${BASH_REMATCH[2]}
    printf '%s (pid %s)\n' "$name" "$pid"
  else
    printf 'unknown process\n'
  fi
}

# Name of the listener's process (as the kernel reports it), empty when unknown.
port_owner_name() {
  local line
  line=$(ss -ltnpH "sport = :$1" 2>/dev/null | head -n 1 || true)
  if [[ "$line" =~ users:\(\(\"([^\"]+)\" ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  fi
}

# --- Polling ----------------------------------------------------------------------------------
# wait_until <seconds> <pid or ""> <command...>
# Polls a readiness check until it succeeds. Returns 0 when ready, 1 on timeout, 2 when the
# watched process died first (so callers can say "exited" rather than "timed out").
wait_until() {
  local deadline=$((SECONDS + $1)) pid=$2
  shift 2
  until "$@"; do
    if [[ -n "$pid" ]] && pid_gone "$pid"; then
      return 2
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.1
  done
}

# --- Background processes and pid files -------------------------------------------------------
# A pid file holds two lines: the pid and the program's name. The name guards against pid reuse:
# after a reboot the pid may belong to something else, which we must neither report nor kill.

# Prints the pid recorded in a pid file when that process is alive and still the same program.
pidfile_pid() {
  local file=$1 pid name
  [[ -f "$file" ]] || return 1
  { read -r pid && read -r name; } <"$file" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  if [[ -n "${name:-}" && -r "/proc/$pid/cmdline" ]]; then
    # The program is argv[0], or argv[1] when it is a script run by an interpreter.
    local argv=()
    mapfile -d '' -t -n 2 argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
    ((${#argv[@]} > 0)) || return 1
    [[ "${argv[0]##*/}" == "$name" || "${argv[1]:-}" == */"$name" ]] || return 1
  fi
  printf '%s\n' "$pid"
}

# start_bg <logfile> <pidfile> <command...>
# Starts a command detached from this shell (own session, immune to hang-ups, stdin closed), so
# it survives the terminal or CI step that started it; appends its output to the log.
start_bg() {
  local log=$1 pidfile=$2
  shift 2
  rm -f "$pidfile"
  mkdir -p "$(dirname "$log")" "$(dirname "$pidfile")"
  printf '\n=== %s started by infra/stack: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log"
  # The inner shell writes its own pid, then execs: the pid is the program's even when setsid
  # had to fork. fd 9 (the stack lock) is closed, or the program would hold the lock for life.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid nohup bash -c 'printf "%s\n%s\n" "$$" "${2##*/}" >"$1"; shift; exec "$@"' \
    _ "$pidfile" "$@" >>"$log" 2>&1 </dev/null 9>&- &
  if ! wait_until 10 "" test -s "$pidfile"; then
    die "could not start $1 (no pid file $pidfile); see $log"
  fi
}

# stop_pidfiles <pidfile>...
# Stops the processes of pid files together: TERM to all, then up to 20 s for clean exits (a
# service finishes its batch and commits), then KILL for whatever is left.
stop_pidfiles() {
  local file pid label files=() pids=()
  for file in "$@"; do
    if pid=$(pidfile_pid "$file"); then
      kill -TERM "$pid" 2>/dev/null || true
      files+=("$file") pids+=("$pid")
    else
      rm -f "$file"
    fi
  done
  ((${#pids[@]} > 0)) || return 0
  wait_until 20 "" all_gone "${pids[@]}" || true
  local i
  for i in "${!pids[@]}"; do
    label=$(basename "${files[$i]}" .pid) pid=${pids[$i]}
    if ! pid_gone "$pid"; then
      warn "$label (pid $pid) ignored SIGTERM for 20 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 "" pid_gone "$pid" || true
    fi
    rm -f "${files[$i]}"
    ok "stopped $label (pid $pid)"
  done
}

all_gone() {
  local pid
  for pid in "$@"; do pid_gone "$pid" || return 1; done
}

# A killed process whose parent does not reap it (containers often lack an init that does)
# stays as a zombie: it still answers kill -0, but it is gone.
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  [[ "${stat:0:1}" != Z ]]
}

pid_gone() { ! pid_alive "$1"; }

# --- Misc -------------------------------------------------------------------------------------
# Escapes a string for use as the replacement part of a sed s||| expression.
sed_replacement_escape() {
  printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# Loads .stack/env into the current shell, exported.
load_stack_env() {
  [[ -f "$STACK_ENV_FILE" ]] || die "$STACK_ENV_FILE is missing; run infra/stack up first"
  set -a
  # shellcheck source=/dev/null
  . "$STACK_ENV_FILE"
  set +a
}

# Serialises commands that start or stop things: several engineers share one working tree, and
# two concurrent `up`s must not both start a broker. The lock is released when the script exits.
take_stack_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  local lock="$STACK_RUN/stack.lock"
  mkdir -p "$STACK_RUN"
  exec 9>"$lock"
  flock -n 9 && return 0
  if ! lock_held_by_stack_command "$lock"; then
    # Only a server holds it (a descriptor leaked into it by an older version of this script):
    # a fresh lock file leaves that stale lock behind.
    warn "$lock is held by a process that is not infra/stack; replacing the lock file"
    rm -f "$lock"
    exec 9>"$lock"
    flock -n 9 && return 0
  fi
  say "another infra/stack command is running in this checkout; waiting for it (up to 10 min)"
  flock -w 600 9 || die "timed out waiting for $lock (held by pids: $(lock_holders "$lock" 9>&- | tr '\n' ' '))"
}

# Pids of the processes (other than this one) with the lock file open. Call it with fd 9
# closed (`lock_holders f 9>&-`), or its own pipeline would count among the holders.
lock_holders() {
  find /proc/[0-9]*/fd -maxdepth 1 -lname "$1" 2>/dev/null |
    cut -d / -f 3 | sort -u | grep -vx "$$" || true
}

# True when one of the lock's holders is an infra/stack command (a shell running this script).
lock_held_by_stack_command() {
  local pid
  local cmdline
  while read -r pid; do
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    [[ "$cmdline" == *infra/stack* ]] && return 0
  done < <(lock_holders "$1" 9>&-)
  return 1
}

release_stack_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  flock -u 9 2>/dev/null || true
}
