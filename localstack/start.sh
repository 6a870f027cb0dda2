#!/usr/bin/env bash
# Installs the pinned emulator and the project's Python tools (always: the
# deploy script and the lints need them whoever runs the emulator), then
# starts the emulator on 127.0.0.1:4566 (or AWS_ENDPOINT_URL's port) and
# waits until it is healthy. The pinned emulator already answering there
# (another checkout's) is used as it is; anything else answering there is
# named, and nothing starts. Its log goes to .emulator/ministack-<port>.log.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/localstack/install.sh"
if port_answers; then
  check_what_answers || exit 1
  say "MiniStack $PINNED already answering at $AWS_ENDPOINT_URL: using it"
  exit 0
fi
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
