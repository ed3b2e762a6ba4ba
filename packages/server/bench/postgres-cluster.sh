#!/usr/bin/env bash
# Starts (or reuses) the benchmark's PostgreSQL cluster under $TMPDIR/conduit-bench/pg and prints
# its URL. Kept between runs so the seeded benchmark databases are reused; `stop` stops it.
# Default durability settings: the benchmark measures what an operator would run.
set -euo pipefail
bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1)}"
[ -x "$bin/pg_ctl" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)" >&2; exit 2; }
dir="${TMPDIR:-/tmp}/conduit-bench/pg"
port="${BENCH_PG_PORT:-55432}"
as_owner=()
if [ "$(id -u)" = "0" ]; then as_owner=(runuser -u postgres --); fi
if [ "${1:-}" = "stop" ]; then "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; exit 0; fi
if [ ! -d "$dir/data" ]; then
  mkdir -p "$dir"
  chmod 755 "$dir"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$dir"; fi
  "${as_owner[@]}" "$bin/initdb" -D "$dir/data" --auth=trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
fi
if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c shared_buffers=512MB -c max_connections=200" >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
