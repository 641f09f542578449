#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# infra/dashboard/render.sh (also `infra/stack dashboard`): the screenshot of the dashboard in
# docs/dashboard.png, made from the running local services.
#
# Grafana itself has no package in the registries this project can use, so the picture is drawn
# by the preview renderer next to this script: it reads the provisioned Grafana dashboard
# (infra/grafana/dashboards/*.json), queries a real Prometheus that scrapes the services with
# the job layout of infra/prometheus/local.yml, and draws every panel on Grafana's grid; its
# header says it is not Grafana. Steps: install Prometheus, Chromium and the npm tools if
# missing; check every service answers /healthz (start them with `infra/stack demo`); start
# Prometheus; drive traffic (load.mjs) for a while; screenshot (shoot.mjs); stop Prometheus.
#
# usage: infra/dashboard/render.sh [--seconds N] [--out FILE] [--keep-prometheus]
#   --seconds N        traffic to drive before the screenshot (default 180; 0 drives none and
#                      shows whatever Prometheus already holds)
#   --out FILE         where the PNG goes (default docs/dashboard.png)
#   --keep-prometheus  leave Prometheus running afterwards (stop: kill the pid in
#                      .stack/dashboard/prometheus.pid); view the preview live with
#                      `node infra/dashboard/server.mjs --prometheus http://127.0.0.1:PORT`
# Environment: AGORA_DASHBOARD_PROMETHEUS_PORT (9090), AGORA_DASHBOARD_SCRAPE_SECONDS (5).
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
DASHBOARD_DIR=$(dirname "$SCRIPT_PATH")
INFRA_DIR=$(dirname "$DASHBOARD_DIR")
REPO_ROOT=$(dirname "$INFRA_DIR")
cd "$REPO_ROOT"

# shellcheck source=../lib/common.sh
. "$INFRA_DIR/lib/common.sh"
# shellcheck source=../lib/app.sh
. "$INFRA_DIR/lib/app.sh"
# shellcheck source=../lib/services.sh
. "$INFRA_DIR/lib/services.sh"

: "${AGORA_DASHBOARD_PROMETHEUS_PORT:=9090}"
: "${AGORA_DASHBOARD_SCRAPE_SECONDS:=5}"
WORK_DIR="$STACK_DIR/dashboard"
PROM_DIR="$WORK_DIR/prometheus"
PROM_PIDFILE="$WORK_DIR/prometheus.pid"
PROM_LOG="$STACK_LOGS/prometheus.log"
PROM_URL="http://127.0.0.1:$AGORA_DASHBOARD_PROMETHEUS_PORT"

LOAD_SECONDS=180
OUT="$REPO_ROOT/docs/dashboard.png"
KEEP_PROMETHEUS=0
while (($# > 0)); do
  case $1 in
    --seconds)
      [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--seconds needs a whole number of seconds"
      LOAD_SECONDS=$2
      shift 2
      ;;
    --out)
      [[ -n "${2:-}" ]] || die "--out needs a file"
      OUT=$(readlink -m "$2")
      shift 2
      ;;
    --keep-prometheus)
      KEEP_PROMETHEUS=1
      shift
      ;;
    -h | --help)
      sed -n '3,21p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ "$AGORA_DASHBOARD_SCRAPE_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "AGORA_DASHBOARD_SCRAPE_SECONDS must be a whole number of seconds"

# Debian's packages: Prometheus, Chromium (for playwright-core), Node.js and npm.
ensure_tools() {
  local missing=()
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if ((${#missing[@]} > 0)); then
    say "installing ${missing[*]} (apt)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  ok "prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null | head -n 1), node $(node --version)"
}

# uPlot and playwright-core, pinned by the lock file beside this script, into .stack/dashboard.
ensure_npm_tools() {
  mkdir -p "$WORK_DIR"
  if cmp -s "$DASHBOARD_DIR/package-lock.json" "$WORK_DIR/package-lock.json" &&
    [[ -d "$WORK_DIR/node_modules/uplot" && -d "$WORK_DIR/node_modules/playwright-core" ]]; then
    return 0
  fi
  say "installing uplot and playwright-core into $WORK_DIR (npm ci)"
  cp "$DASHBOARD_DIR/package.json" "$DASHBOARD_DIR/package-lock.json" "$WORK_DIR/"
  (cd "$WORK_DIR" && npm ci --no-audit --no-fund --loglevel=error)
}

check_services() {
  local spec name addr down=()
  for spec in "${SERVICES[@]}"; do
    name=$(service_field "$spec" 0)
    addr=$(service_addr "$spec")
    healthz_ok "$addr" || down+=("$name ($addr)")
  done
  if ((${#down[@]} > 0)); then
    die "not answering /healthz: ${down[*]}; start the services with infra/stack demo"
  fi
  ok "all ${#SERVICES[@]} services answer /healthz"
}

prometheus_ready() { curl -fs --max-time 2 "$PROM_URL/-/ready" >/dev/null 2>&1; }

# The scrape config of the local stack (infra/prometheus/local.yml, same jobs and `service`
# labels as the compose one) with a shorter interval, so a few minutes of traffic draw curves.
start_prometheus() {
  mkdir -p "$PROM_DIR/data"
  sed -E "s/^(  (scrape|evaluation)_interval:) .*/\\1 ${AGORA_DASHBOARD_SCRAPE_SECONDS}s/" \
    "$INFRA_DIR/prometheus/local.yml" >"$PROM_DIR/prometheus.yml"
  cp "$INFRA_DIR/prometheus/alerts.yml" "$PROM_DIR/alerts.yml"
  if pidfile_pid "$PROM_PIDFILE" >/dev/null; then
    say "reloading the Prometheus this script started earlier"
    kill -HUP "$(pidfile_pid "$PROM_PIDFILE")"
  else
    if port_open "$AGORA_DASHBOARD_PROMETHEUS_PORT"; then
      die "port $AGORA_DASHBOARD_PROMETHEUS_PORT is taken by $(port_owner "$AGORA_DASHBOARD_PROMETHEUS_PORT"); set AGORA_DASHBOARD_PROMETHEUS_PORT"
    fi
    prometheus --version >/dev/null 2>&1 || die "prometheus does not run"
    start_bg "$PROM_LOG" "$PROM_PIDFILE" prometheus \
      --config.file="$PROM_DIR/prometheus.yml" \
      --storage.tsdb.path="$PROM_DIR/data" \
      --storage.tsdb.retention.time=2d \
      --web.listen-address="127.0.0.1:$AGORA_DASHBOARD_PROMETHEUS_PORT"
  fi
  local rc=0
  wait_until 60 "$(pidfile_pid "$PROM_PIDFILE" || true)" prometheus_ready || rc=$?
  if ((rc != 0)); then
    show_log_tail "$PROM_LOG"
    die "Prometheus did not become ready on $PROM_URL (log: $PROM_LOG)"
  fi
  ok "Prometheus on $PROM_URL (pid $(pidfile_pid "$PROM_PIDFILE"), scrape every ${AGORA_DASHBOARD_SCRAPE_SECONDS}s, log $PROM_LOG)"
}

# Number of scrape targets Prometheus currently sees up.
targets_up() {
  curl -fs --max-time 5 "$PROM_URL/api/v1/query" --data-urlencode 'query=count(up == 1)' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)'
}

all_targets_up() { [[ "$(targets_up 2>/dev/null || echo 0)" == "${#SERVICES[@]}" ]]; }

wait_for_targets() {
  if ! wait_until $((AGORA_DASHBOARD_SCRAPE_SECONDS * 4 + 10)) "" all_targets_up; then
    curl -fs "$PROM_URL/api/v1/targets" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    print(f"    {t[\"labels\"][\"job\"]:12} {t[\"health\"]:8} {t[\"scrapeUrl\"]} {t[\"lastError\"]}")' >&2 || true
    die "Prometheus does not see every service up (targets above)"
  fi
  ok "Prometheus scrapes all ${#SERVICES[@]} services"
}

drive_load() {
  local bin token
  bin="$(target_bin_dir)/agora-command-api"
  [[ -x "$bin" ]] || die "not built: $bin (cargo build --workspace --bins)"
  # The demo services run with AGORA_DEV=1, so a token minted the same way is accepted.
  token=$(load_stack_env && AGORA_DEV=1 "$bin" mint-token --role staff --subject dashboard-load --hours 1 \
    2>>"$STACK_LOGS/dashboard.log") || die "could not mint a staff token with $bin mint-token (log: $STACK_LOGS/dashboard.log)"
  say "driving traffic for ${LOAD_SECONDS}s (node infra/dashboard/load.mjs)"
  STAFF_TOKEN=$token node "$DASHBOARD_DIR/load.mjs" --seconds "$LOAD_SECONDS"
}

stop_prometheus() {
  if ((KEEP_PROMETHEUS)); then
    ok "Prometheus keeps running on $PROM_URL (pid $(pidfile_pid "$PROM_PIDFILE" || echo '?'))"
  else
    stop_pidfiles "$PROM_PIDFILE"
  fi
}

main() {
  mkdir -p "$STACK_LOGS" "$WORK_DIR"
  ensure_tools
  ensure_npm_tools
  check_services
  local started_at from to
  started_at=$(date +%s)
  trap stop_prometheus EXIT
  start_prometheus
  wait_for_targets
  if ((LOAD_SECONDS > 0)); then
    # A little idle time before the traffic, so the panels show it begin.
    sleep $((AGORA_DASHBOARD_SCRAPE_SECONDS * 3))
    drive_load
    # Two more scrapes, so the last of the traffic is in Prometheus.
    sleep $((AGORA_DASHBOARD_SCRAPE_SECONDS * 2 + 1))
    from=$started_at
  else
    # No new traffic: the last 15 minutes of what Prometheus already holds.
    from=$(($(date +%s) - 900))
  fi
  to=$(date +%s)
  say "screenshot of $(date -u -d "@$from" +%T)–$(date -u -d "@$to" +%T) UTC to $OUT"
  local rc=0
  node "$DASHBOARD_DIR/shoot.mjs" --prometheus "$PROM_URL" --from "$from" --to "$to" \
    --scrape "$AGORA_DASHBOARD_SCRAPE_SECONDS" --out "$OUT" || rc=$?
  case $rc in
    0) ok "dashboard screenshot: $OUT" ;;
    3) warn "saved $OUT, but some panels had no data (listed above)" ;;
    *) die "the preview failed (output above)" ;;
  esac
}

main
