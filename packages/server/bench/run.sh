#!/usr/bin/env bash
# `pnpm bench:server`: the server benchmark on SQLite, and on PostgreSQL when its binaries are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if url=$(bash bench/postgres-cluster.sh 2>/dev/null); then
  exec node bench/server.mjs --postgres "$url" "$@"
fi
echo "PostgreSQL not installed: benchmarking SQLite only" >&2
exec node bench/server.mjs "$@"
