#!/usr/bin/env bash
# Resets the emulator (which also ends its warm Lambda processes) and stops
# the one that start.sh started. An emulator someone else started is only reset.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if emulator_answers; then
  curl -fsS --max-time 30 -X POST "$AWS_ENDPOINT_URL/_ministack/reset" >/dev/null 2>&1 \
    || say "reset failed; stopping anyway"
fi
pidfile="$PIDFILE"
if [[ -f "$pidfile" ]]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping the emulator (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
fi
