#!/usr/bin/env bash
# Installs what the demo and the browser tests need: Debian's Chromium (playwright-core
# drives it; it downloads no browser of its own) and the pinned npm packages.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "clients: Chromium is missing; install Debian's 'chromium' package, or set CHROMIUM to a Chromium binary" >&2
    exit 1
  fi
  echo "clients: installing Chromium from Debian's packages" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null || { echo "clients: Node.js is required for the browser tests" >&2; exit 1; }

stamp="$here/node_modules/.package-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
