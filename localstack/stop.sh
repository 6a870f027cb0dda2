#!/usr/bin/env bash
# Resets the emulator (which also ends its warm Lambda processes) and stops
# it, if start.sh started it, in this checkout or another. A MiniStack
# started by hand is only reset; anything else answering on the port is
# named and left alone.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if port_answers && [[ -z "$(running_version)" ]]; then
  check_what_answers || exit 1
fi
if emulator_answers; then
  curl -fsS --max-time 30 -X POST "$AWS_ENDPOINT_URL/_ministack/reset" >/dev/null 2>&1 \
    || say "reset failed; stopping anyway"
fi
pidfile="$PIDFILE"
if [[ ! -f "$pidfile" ]] && emulator_answers; then
  say "the MiniStack at $AWS_ENDPOINT_URL was not started by make up: reset, and left running"
fi
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
