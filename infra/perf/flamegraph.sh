#!/usr/bin/env bash
# Samples one running process with `perf` and draws a flamegraph SVG (inferno).
#   infra/perf/flamegraph.sh <pid> <seconds> <out.svg> [title]
# Software clock sampling (`cpu-clock`, 499 Hz) with DWARF unwinding: the hardware counters are
# not available on these virtual machines, and release binaries keep no frame pointers, but they
# do keep unwind tables and line tables (`[profile.release] debug = "line-tables-only"`).
# Installs what is missing: Debian's linux-perf, and inferno from crates.io.
set -euo pipefail
if (($# < 3)); then
  echo "usage: infra/perf/flamegraph.sh <pid> <seconds> <out.svg> [title]" >&2
  exit 2
fi
pid=$1 seconds=$2 out=$3 title=${4:-"pid $1"}
[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || {
  echo "flamegraph: no process $pid" >&2
  exit 2
}
if ! command -v perf >/dev/null 2>&1; then
  sudo_cmd=()
  ((EUID == 0)) || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq linux-perf >/dev/null
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v inferno-flamegraph >/dev/null 2>&1 || cargo install --locked --quiet inferno
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" \
  -- sleep "$seconds" >/dev/null 2>"$work/record.err" || {
  cat "$work/record.err" >&2
  exit 1
}
perf script -i "$work/perf.data" 2>/dev/null |
  inferno-collapse-perf --all >"$work/folded"
mkdir -p "$(dirname "$out")"
inferno-flamegraph --title "$title" --width 1600 --minwidth 0.2 <"$work/folded" >"$out"
samples=$(awk '{n += $NF} END {print n + 0}' "$work/folded")
# Beside the SVG: where the samples end (self time per function), the readable summary.
summary=${out%.svg}.self.txt
{
  echo "# $title: $samples samples over ${seconds}s; self time (leaf frame) per function"
  awk '{n = $NF; sub(/ [0-9]+$/, ""); k = split($0, f, ";"); self[f[k]] += n; total += n}
       END {for (x in self) printf "%6.2f%%  %s\n", 100 * self[x] / total, x}' "$work/folded" |
    sort -rn | head -n 40
} >"$summary"
echo "flamegraph: $out ($samples samples over ${seconds}s; summary $summary)"
