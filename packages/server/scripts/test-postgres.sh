#!/usr/bin/env bash
# Runs the server test suite against a real PostgreSQL: starts a throwaway cluster on a free
# loopback port, points CONDUIT_TEST_DATABASE_URL at it (test/helpers.ts then gives every test a
# fresh database there) and runs `vitest run` with this script's arguments; the cluster and its
# files are removed on exit, whatever the outcome. Needs the PostgreSQL server binaries
# (Debian: apt-get install postgresql); PG_BIN overrides where they are. initdb refuses to run as
# root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"

# Where the server binaries are (PG_BIN, else the newest installed version): the same lookup as
# every test's (scripts/test-services.mjs), which prints what to install when there are none.
bin="$(node "$root/scripts/test-services.mjs" postgres)" || exit 2

as_owner=()
if [ "$(id -u)" = "0" ]; then as_owner=(runuser -u postgres --); fi

work="$(mktemp -d "${TMPDIR:-/tmp}/conduit-pg-XXXXXX")"
chmod 755 "$work"
if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$work"; fi
data="$work/data"

stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT

# A free port: the kernel picks one for a listener we close straight away.
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"

"${as_owner[@]}" "$bin/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
# Durability off: the cluster is thrown away, and tests create and drop many databases.
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$work/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  >/dev/null || { cat "$work/server.log" >&2; exit 1; }

echo "test-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
export CONDUIT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
cd "$here"
status=0
"${VITEST:-$root/node_modules/.bin/vitest}" run "$@" || status=$?
exit "$status"
