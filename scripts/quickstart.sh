#!/usr/bin/env bash
# One command from a fresh clone to a running server with demo data and a bridge logged in to it:
# installs pnpm and the dependencies, builds both packages, starts the server with --demo, stores
# the demo API token for the `conduit-mcp` bridge (`login --token-stdin`), and prints the MCP client
# configuration to use. The server stays in the foreground; Ctrl-C stops it.
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
# Native modules (better-sqlite3) build against the running Node's own headers when it has them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi

pnpm install --frozen-lockfile
pnpm build

log=$(mktemp)
# The output goes through tee, not straight to the terminal: ask for the readable request log.
node packages/server/dist/cli.js serve --demo --log-format pretty "$@" > >(tee "$log") 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null; wait "$server"; rm -f "$log"' INT TERM EXIT
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's/^Conduit MCP server \(http[^ ]*\).*/\1/p' "$log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || exit 1
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }

bridge="node $(pwd)/packages/cli/dist/cli.js"
token=$(sed -n 's/^  API token (read_write, shown once): \(capi_[^ ]*\)$/\1/p' "$log" | head -1)
if [ -z "$token" ] && ! $bridge token --url "$url" >/dev/null 2>&1; then
  # The demo data is from an earlier run, whose token was shown once then, and the bridge has no
  # credential for this URL (another --port): give it a token of its own, on the same database.
  where=()
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
      --data-dir | --database) where+=("${args[i]}" "${args[i + 1]:-}"); i=$((i + 1)) ;;
      --data-dir=* | --database=*) where+=("${args[i]}") ;;
    esac
  done
  echo "Creating an API token for the bridge (conduit-mcp-server tokens create --name \"quickstart bridge\")…" >&2
  token=$(node packages/server/dist/cli.js tokens create --workspace acme-hotels,northwind-clinic --access read_write --name "quickstart bridge" ${where[@]+"${where[@]}"})
fi
if [ -n "$token" ]; then
  printf '%s' "$token" | $bridge login --url "$url" --token-stdin >&2
fi
cat <<EOT

The conduit-mcp bridge is logged in to $url. Check it with:
  $bridge status --url $url
Add it to a stdio MCP client (Claude Desktop's claude_desktop_config.json, Cursor's mcp.json…):
  { "mcpServers": { "conduit": { "command": "node",
      "args": ["$(pwd)/packages/cli/dist/cli.js", "--url", "$url", "--workspace", "acme-hotels"] } } }
(Once published: "command": "npx", "args": ["conduit-mcp", "--url", "$url"].) See examples/ for other clients.
EOT
wait "$server"
