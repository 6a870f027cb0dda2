# Sourced by the scripts in this folder: where things are, and the emulator's
# address. Not meant to be run.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.emulator"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
HEALTH_URL="$AWS_ENDPOINT_URL/_ministack/health"
PORT="${AWS_ENDPOINT_URL##*:}"
PORT="${PORT%%/*}"
# One emulator per port, each with a log and a pid file of its own.
LOG="$STATE/ministack-$PORT.log"
PIDFILE="$STATE/ministack-$PORT.pid"

say() { printf 'localstack: %s\n' "$*" >&2; }

emulator_answers() {
  curl -fsS --max-time 2 "$HEALTH_URL" >/dev/null 2>&1
}
