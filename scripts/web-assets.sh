#!/usr/bin/env bash
# Install the web app's front-end libraries (Apache ECharts, htmx) from the npm registry, as
# pinned by assets/package-lock.json, and copy each with its licence into the package's static
# files: the app serves them itself and loads nothing from a CDN. Installs Debian's nodejs and
# npm first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "installing Debian packages: nodejs npm…" >&2
  [ "$(id -u)" = 0 ] || { echo "need root to apt-get install nodejs npm" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2 || {
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2; }
fi
npm ci --prefix assets --no-audit --no-fund --loglevel=error >&2
vendor=src/tenure/web/static/vendor
mkdir -p "$vendor"
cp assets/node_modules/echarts/dist/echarts.min.js "$vendor/"
cp assets/node_modules/echarts/LICENSE "$vendor/echarts.LICENSE"
cp assets/node_modules/echarts/NOTICE "$vendor/echarts.NOTICE"
cp assets/node_modules/htmx.org/dist/htmx.min.js "$vendor/"
cp assets/node_modules/htmx.org/LICENSE "$vendor/htmx.LICENSE"
