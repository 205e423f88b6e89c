#!/usr/bin/env bash
# Install Debian's chromium for the browser tests if it is missing; print its path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium is not installed: installing Debian's chromium…" >&2
  [ "$(id -u)" = 0 ] || { echo "need root to apt-get install chromium" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 || {
    apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }
fi
command -v chromium
