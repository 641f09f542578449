# shellcheck shell=bash
# `infra/stack bench [--quick] [scenario…]`: the benchmark of issue 8 (docs/BENCHMARKS.md).
# Brings the stack up, builds the binaries (release for a full run; --quick keeps the
# dev-profile binaries), then runs agora-bench with the stack's environment. agora-bench starts
# its own service processes in a private namespace, so the demo's data is never touched.
# The report lands in target/bench/report.json and target/bench/report.md.

cmd_bench() {
  local quick=0 arg args=()
  for arg in "$@"; do
    case $arg in
      --quick) quick=1 ;;
      -h | --help)
        say "usage: infra/stack bench [--quick] [commands|checkout|flash-sale|projection|graphql|replay …]"
        return 0
        ;;
      -*) die "bench: unknown flag $arg (only --quick)" ;;
      *) args+=("$arg") ;;
    esac
  done
  if ((quick)); then
    args=(--quick "${args[@]}")
  else
    # Full runs measure optimised code; `up` then builds every binary with --release.
    export AGORA_PROFILE=release
  fi
  cmd_up
  # The benchmark runs for minutes: let other infra/stack commands in meanwhile.
  release_stack_lock
  binaries_present agora-bench agora-processor agora-command-api agora-projector agora-saga \
    agora-query-api agora-replay-bench ||
    die "the benchmark needs every service binary and agora-bench; build the workspace"
  local out="$REPO_ROOT/target/bench"
  say "agora-bench ${args[*]} (binaries from $(target_bin_dir), report in $out)"
  (
    load_stack_env
    exec "$(target_bin_dir)/agora-bench" --out "$out" "${args[@]}"
  )
}
