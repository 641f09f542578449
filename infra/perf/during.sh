#!/usr/bin/env bash
# Profiles the services of a running benchmark phase: waits until the benchmark's log prints
# `marker`, then samples `process` (by executable name) into a flamegraph and records every
# process's CPU over the same window (`top`), so a flamegraph is read beside where the cores went.
#   infra/perf/during.sh <bench-log> <marker> <process> <seconds> <out-dir>
set -euo pipefail
if (($# != 5)); then
  echo "usage: infra/perf/during.sh <bench-log> <marker> <process> <seconds> <out-dir>" >&2
  exit 2
fi
log=$1 marker=$2 process=$3 seconds=$4 out=$5
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
for _ in $(seq 1 1800); do
  grep -qF -- "$marker" "$log" 2>/dev/null && break
  sleep 0.5
done
grep -qF -- "$marker" "$log" || {
  echo "during: '$marker' never appeared in $log" >&2
  exit 1
}
sleep 2 # past the phase's warm-up
pid=$(pgrep -n -x "$process" || pgrep -n -f "/$process( |$)") || {
  echo "during: no process $process" >&2
  exit 1
}
mkdir -p "$out"
name=$(echo "$marker" | tr -c 'a-zA-Z0-9_-' '_' | sed 's/_*$//')
top -b -d "$seconds" -n 2 -w 200 | awk '/^top -/{n++} n==2' | head -n 25 >"$out/$name.top.txt" &
"$here/flamegraph.sh" "$pid" "$seconds" "$out/$name.$process.svg" "$process during $marker"
wait
