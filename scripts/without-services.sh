#!/usr/bin/env bash
# Runs a command as on a machine without the optional system services: Chromium, the PostgreSQL
# server, Redis, and a Secret Service keychain (dbus-run-session, gnome-keyring-daemon; the keychain
# module itself is a prebuilt npm package, present on every machine). Inside a private mount namespace each one is covered by an empty,
# non-executable file or an empty directory; nothing outside the command sees a change.
# Needs root and util-linux's unshare. Used to check that `pnpm test` passes, skipping with a
# reason, on a fresh machine:
#
#   bash scripts/without-services.sh pnpm test
#   bash scripts/without-services.sh node scripts/test-services.mjs
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/without-services.sh <command> [args…]" >&2
  exit 2
fi
if [ "$(id -u)" != "0" ]; then
  echo "without-services.sh: needs root (it mounts over the services' files in a private namespace)" >&2
  exit 2
fi
if [ -z "${CONDUIT_WITHOUT_SERVICES:-}" ]; then
  # The covers are made, and removed, outside the namespace (inside, they are busy mount sources).
  cover="$(mktemp -d "${TMPDIR:-/tmp}/conduit-without-services-XXXXXX")"
  trap 'rm -rf "$cover"' EXIT
  mkdir "$cover/dir"
  : >"$cover/file"
  chmod 644 "$cover/file"
  status=0
  unshare --mount --propagation private env CONDUIT_WITHOUT_SERVICES="$cover" bash "$0" "$@" || status=$?
  exit "$status"
fi

cover="$CONDUIT_WITHOUT_SERVICES"

hide() {
  local path
  for path in "$@"; do
    [ -e "$path" ] || continue
    if [ -d "$path" ]; then mount --bind "$cover/dir" "$path"; else mount --bind "$cover/file" "$path"; fi
  done
}

on_path() {
  local name dir
  for name in "$@"; do
    IFS=: read -r -a dirs <<<"$PATH"
    for dir in "${dirs[@]}"; do [ -e "$dir/$name" ] && echo "$dir/$name"; done
  done
  return 0
}

# Chromium (the Debian package's launcher and its files)
hide $(on_path chromium chromium-browser google-chrome google-chrome-stable) /usr/lib/chromium
# PostgreSQL server binaries (pg_ctl & co. on PATH are links into /usr/lib/postgresql)
hide $(on_path pg_ctl initdb postgres pg_ctlcluster) /usr/lib/postgresql
# Redis
hide $(on_path redis-server redis-cli)
# The keychain: the session bus runner and the Secret Service
hide $(on_path dbus-run-session dbus-daemon gnome-keyring-daemon)

unset DBUS_SESSION_BUS_ADDRESS CHROMIUM_PATH PG_BIN CONDUIT_TEST_KEYCHAIN CONDUIT_WITHOUT_SERVICES
exec "$@"
