#!/bin/sh
# Entry point of every Agora image: for the secrets below, `NAME_FILE=/path` becomes
# `NAME=<contents of /path>` (compose secrets and Kubernetes secret volumes are files; the
# binaries read variables), then the given command runs. Values are never printed. The list is
# explicit: other *_FILE variables in the environment belong to other software.
set -eu

for name in AGORA_JWT_SECRET DATABASE_URL PGPASSWORD; do
  eval "file=\${${name}_FILE:-}"
  [ -n "$file" ] || continue
  if [ ! -r "$file" ]; then
    echo "agora-entrypoint: ${name}_FILE points at $file, which cannot be read" >&2
    exit 64
  fi
  # $(cat) drops trailing newlines, so `echo secret > file` works as expected.
  value=$(cat "$file")
  export "$name=$value"
  unset "${name}_FILE"
done

exec "$@"
