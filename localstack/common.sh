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
# One emulator per port, each with a log of its own. Its pid file is the
# machine's, not the checkout's: one emulator answers on a port for every
# checkout, and `make down` in any of them stops it.
LOG="$STATE/ministack-$PORT.log"
PIDFILE="${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/magiclink-ministack-$PORT.pid"
# The emulator's version the tests are known to pass against.
PINNED="$(sed -n 's/^ministack==//p' "$ROOT/localstack/requirements.txt")"

say() { printf 'localstack: %s\n' "$*" >&2; }

emulator_answers() {
  curl -fsS --max-time 2 "$HEALTH_URL" >/dev/null 2>&1
}

# Whether anything at all answers HTTP on the emulator's address.
port_answers() {
  [[ "$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$AWS_ENDPOINT_URL/" 2>/dev/null)" != 000 ]]
}

# The version of the MiniStack that answers; empty when what answers is not
# MiniStack (a LocalStack has no /_ministack/health).
running_version() {
  curl -fsS --max-time 5 "$HEALTH_URL" 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin).get("version", ""))' 2>/dev/null \
    || true
}

# Says why what answers is not the pinned emulator, and returns 1; returns
# 0 when it is.
check_what_answers() {
  local version
  version="$(running_version)"
  if [[ "$version" == "$PINNED" ]]; then
    return 0
  elif [[ -n "$version" ]]; then
    say "MiniStack $version answers at $AWS_ENDPOINT_URL, but magiclink is tested against $PINNED:" \
      "stop it (make down in the checkout that started it), or set AWS_ENDPOINT_URL to a free port"
  else
    say "something that is not MiniStack answers at $AWS_ENDPOINT_URL (a LocalStack, say):" \
      "stop it, or set AWS_ENDPOINT_URL=http://127.0.0.1:<a free port> for magiclink's own emulator"
  fi
  return 1
}
