#!/usr/bin/env bash
# Starts the emulator on 127.0.0.1:4566 (or AWS_ENDPOINT_URL's port) unless
# something already answers there, and waits until it is healthy. Its log
# goes to .emulator/ministack-<port>.log.
set -euo pipefail
source "$(dirname "$0")/common.sh"

if emulator_answers; then
  say "emulator already answering at $AWS_ENDPOINT_URL"
  exit 0
fi
"$ROOT/localstack/install.sh"
mkdir -p "$STATE"
say "starting the emulator on 127.0.0.1:$PORT (log: ${LOG#"$ROOT/"})"
# setsid: its own session, so it outlives this script and holds no terminal;
# all output to the log, so a caller reading our output is not kept waiting.
BIND_HOST=127.0.0.1 GATEWAY_PORT="$PORT" IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 \
  setsid "$VENV/bin/ministack" >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"
for _ in $(seq 1 120); do
  if emulator_answers; then
    say "emulator healthy"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "the emulator exited while starting; its log:"
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 0.5
done
say "the emulator did not become healthy within 60 s; its log:"
tail -n 40 "$LOG" >&2
exit 1
