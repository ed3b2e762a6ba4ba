#!/usr/bin/env bash
# One command from a fresh clone to a running server with demo data:
# installs pnpm and the dependencies, builds both packages, and starts the server with --demo.
# Extra arguments go to `conduit-mcp-server serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "conduit-mcp needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  echo "Installing pnpm 12.4.2 (npm install -g pnpm@12.4.2)…" >&2
  npm install -g pnpm@12.4.2 >/dev/null
fi
# Native modules (better-sqlite3, keytar) build against the running Node's own headers when it has them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi

pnpm install --frozen-lockfile
pnpm build
exec node packages/server/dist/cli.js serve --demo "$@"
