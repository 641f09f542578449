#!/bin/sh
# agora-bootstrap: what every deployment runs once before the services start (compose's
# `bootstrap` service, the Kubernetes Job). The same steps as infra/lib/app.sh:
#   1. agora-admin topics       topics (when missing) and the log epoch
#   2. agora-projector restore  only on a fresh (empty) broker: republish the event archive
#   3. agora-projector migrate  databases and tables; resets derived state of another log epoch
# Safe to run again at every deploy: each step does only what is missing.
set -eu

echo "bootstrap: agora-admin topics"
out=$(agora-admin topics)
printf '%s\n' "$out"

if printf '%s\n' "$out" | grep -qx 'fresh_broker=true'; then
  # The migrations create the database when it does not exist; restore needs it.
  echo "bootstrap: fresh broker; agora-projector migrate, then restore from the event archive"
  agora-projector migrate
  rc=0
  agora-projector restore || rc=$?
  case $rc in
    0) echo "bootstrap: restored the log from the event archive" ;;
    3) echo "bootstrap: nothing to restore (empty archive)" ;;
    *)
      echo "bootstrap: agora-projector restore failed (exit $rc)" >&2
      exit "$rc"
      ;;
  esac
fi

echo "bootstrap: agora-projector migrate"
agora-projector migrate
echo "bootstrap: done"
