#!/usr/bin/env bash
# Print the URL of a PostgreSQL server the tests may use, starting one if none answers.
#
# 1. TENURE_TEST_PG_URL, if set and answering.
# 2. The usual local server: postgresql://postgres@127.0.0.1:5432/postgres (trust auth).
# 3. Otherwise: install Debian's postgresql if missing, and run a private cluster with trust
#    auth on 127.0.0.1:54329 under .pgdata/ (initdb refuses root, so it runs as postgres).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

answers() { PGCONNECT_TIMEOUT=3 psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if [ -n "${TENURE_TEST_PG_URL:-}" ] && command -v psql >/dev/null && answers "$TENURE_TEST_PG_URL"; then
  echo "$TENURE_TEST_PG_URL"; exit 0
fi
default_url="postgresql://postgres@127.0.0.1:5432/postgres"
# TENURE_TEST_PG_PRIVATE=1 skips the system server (to exercise the fresh-machine path).
if [ -z "${TENURE_TEST_PG_PRIVATE:-}" ] && command -v psql >/dev/null && answers "$default_url"; then
  echo "$default_url"; exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: installing Debian's postgresql…" >&2
  [ "$(id -u)" = 0 ] || { echo "need root (or sudo) to apt-get install postgresql" >&2; exit 1; }
  if [ ! -d /var/lib/apt/lists/partial ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v partial)" ]; then
    apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || {
    apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; }
fi
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
data="$here/.pgdata"
port=54329
url="postgresql://postgres@127.0.0.1:${port}/postgres"
if answers "$url"; then echo "$url"; exit 0; fi

run_as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
  run_as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
fi
run_as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
for _ in $(seq 1 30); do answers "$url" && { echo "$url"; exit 0; }; sleep 1; done
echo "PostgreSQL did not start; see $data/server.log" >&2
exit 1
