#!/usr/bin/env bash
# Creates the Python venv in .venv (git-ignored) and installs the pinned
# emulator into it. Does nothing when the installed set already matches
# requirements.txt.
set -euo pipefail
source "$(dirname "$0")/common.sh"

stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$ROOT/localstack/requirements.txt" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/ministack" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { say "python3 is required to install the emulator"; exit 1; }
say "installing the emulator into $VENV"
"$python" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/localstack/requirements.txt"
echo "$want" >"$stamp"
