#!/bin/bash
# agora-healthcheck PORT [PATH]: exit 0 when http://127.0.0.1:PORT/PATH answers 200.
# The runtime image has no curl; bash's /dev/tcp is enough for a local GET.
set -u
port=${1:?usage: agora-healthcheck PORT [PATH]}
path=${2:-/readyz}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ "$status" == HTTP/1.[01]\ 200* ]]
