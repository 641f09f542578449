#!/usr/bin/env bash
# Property-based tests of the command API from its own OpenAPI document, with schemathesis.
#
#   infra/hostile/schemathesis.sh install
#       Creates the project-local venv (.stack/venv) with the pinned schemathesis if it is not
#       there yet and prints the path of its `st` command.
#   infra/hostile/schemathesis.sh run URL TOKEN [MAX_EXAMPLES] [SEED]
#       Runs schemathesis against the command API at URL (it fetches URL/openapi.json), sending
#       `Authorization: Bearer TOKEN` on every request, with checks: no 5xx, status codes,
#       content types, headers and bodies as documented, and the error envelope on every 4xx
#       (infra/hostile/envelope_check.py). Exits non-zero on any failure.
#
# Used by command-api/tests/schemathesis.rs, which starts a processor and an API instance in a
# private namespace; run that test rather than this script by hand.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
HOSTILE_DIR="$REPO_ROOT/infra/hostile"
VENV="$REPO_ROOT/.stack/venv"
# Pinned: a new schemathesis release may add checks or change its output; upgrade on purpose.
SCHEMATHESIS_SPEC="schemathesis==4.32.5"

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

ensure_venv() {
  command -v python3 >/dev/null 2>&1 ||
    die "python3 is missing: install it (Debian: python3 python3-venv) to run the schemathesis suite"
  if [[ -x "$VENV/bin/st" ]] && "$VENV/bin/python" -m pip show schemathesis 2>/dev/null |
    grep -qx "Version: ${SCHEMATHESIS_SPEC#*==}"; then
    return
  fi
  printf '==> installing %s into %s\n' "$SCHEMATHESIS_SPEC" "$VENV" >&2
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
    "$SCHEMATHESIS_SPEC" >&2 || die "pip could not install $SCHEMATHESIS_SPEC (is PyPI reachable?)"
}

case "${1:-}" in
install)
  ensure_venv
  printf '%s\n' "$VENV/bin/st"
  ;;
run)
  [[ $# -ge 3 ]] || die "usage: $0 run URL TOKEN [MAX_EXAMPLES] [SEED]"
  url=$2 token=$3 examples=${4:-10} seed=${5:-1}
  ensure_venv
  # The hooks module adds the envelope check; schemathesis imports it by module name.
  export PYTHONPATH="$HOSTILE_DIR${PYTHONPATH:+:$PYTHONPATH}"
  export SCHEMATHESIS_HOOKS=envelope_check
  exec "$VENV/bin/st" run "$url/openapi.json" \
    --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,negative_data_rejection,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,error_envelope_on_4xx \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" \
    --seed "$seed" \
    --request-timeout 30 \
    --no-color
  ;;
*)
  die "usage: $0 install | run URL TOKEN [MAX_EXAMPLES] [SEED]"
  ;;
esac
