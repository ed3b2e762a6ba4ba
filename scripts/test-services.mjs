#!/usr/bin/env node
// The system services some tests need (Chromium, PostgreSQL, Redis, a Secret Service keychain):
// where each one is, or one line saying what is missing and how to install it. Test files call
// useService() at load time and skip their suites when it says so; under CONDUIT_REQUIRE_SERVICES=1
// (.ci/run sets it) a missing service fails the file instead, so CI can never pass by skipping.
// scripts/test.mjs uses the same checks to decide how to run each suite.
//
//   node scripts/test-services.mjs            one line per service: where it is, or what to install
//   node scripts/test-services.mjs postgres   prints that service's path (exit 1 and the reason if missing)
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What a person installs to get each service (Debian/Ubuntu package names, as .ci/run installs them). */
export const INSTALL = {
  chromium: 'apt-get install chromium, or set CHROMIUM_PATH',
  postgres: 'apt-get install postgresql, or set PG_BIN to its bin directory',
  redis: 'apt-get install redis-server',
  keychain: 'apt-get install gnome-keyring dbus (the keychain module, @napi-rs/keyring, comes prebuilt with pnpm install)',
};

export const SERVICE_NAMES = /** @type {const} */ (['chromium', 'postgres', 'redis', 'keychain']);

/** True when a missing service must fail the run (CI) rather than skip the tests that need it. */
export function servicesRequired() {
  return process.env.CONDUIT_REQUIRE_SERVICES === '1';
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable named `name` on PATH (no shell involved). */
export function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function found(name, path, detail) {
  return { name, available: true, path, detail };
}

function missing(name, what) {
  return { name, available: false, missing: `${what}; to install: ${INSTALL[name]}` };
}

function checkChromium() {
  const explicit = process.env.CHROMIUM_PATH;
  const candidates = explicit ? [explicit] : ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'].map(onPath).filter(Boolean);
  if (candidates.length === 0) return missing('chromium', 'Chromium is not installed');
  const path = candidates[0];
  if (!isExecutable(path)) return missing('chromium', `CHROMIUM_PATH=${path} is not an executable file`);
  // Some distributions ship a chromium-browser that only says "install the snap": it must really start.
  const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  if (version.status !== 0) return missing('chromium', `${path} --version failed${version.error ? `: ${version.error.message}` : ''}`);
  return found('chromium', path, version.stdout.trim());
}

function hasUser(name) {
  try {
    if (readFileSync('/etc/passwd', 'utf8').split('\n').some((line) => line.startsWith(`${name}:`))) return true;
  } catch {
    // no /etc/passwd: ask id, which also sees directory-service users
  }
  return spawnSync('id', ['-u', name], { stdio: 'ignore' }).status === 0;
}

function checkPostgres() {
  let bin = process.env.PG_BIN;
  if (!bin) {
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base)
      ? readdirSync(base)
          .filter((v) => isExecutable(join(base, v, 'bin', 'pg_ctl')))
          .sort((a, b) => Number(a) - Number(b))
      : [];
    bin = versions.length > 0 ? join(base, versions.at(-1), 'bin') : undefined;
  }
  bin ??= onPath('pg_ctl') ? dirname(onPath('pg_ctl')) : undefined;
  if (!bin) return missing('postgres', 'PostgreSQL server binaries not found');
  const absent = ['initdb', 'pg_ctl', 'postgres'].filter((tool) => !isExecutable(join(bin, tool)));
  if (absent.length > 0) return missing('postgres', `${bin} has no ${absent.join(', ')}`);
  // initdb refuses to run as root: the clusters then run as the postgres user the package creates.
  if (process.getuid?.() === 0 && !hasUser('postgres')) {
    return missing('postgres', 'running as root needs the postgres user to start a cluster');
  }
  return found('postgres', bin);
}

function checkRedis() {
  const server = onPath('redis-server');
  if (!server) return missing('redis', 'redis-server is not installed');
  if (!isExecutable(join(dirname(server), 'redis-cli'))) return missing('redis', `no redis-cli beside ${server}`);
  return found('redis', server);
}

/**
 * The keychain tests need three things: a Secret Service to start (gnome-keyring under a private
 * D-Bus session, which scripts/test.mjs starts for the CLI suite), the keychain module
 * (@napi-rs/keyring, prebuilt: it loads or its binary is missing), and, inside a test process,
 * that private session actually running.
 */
function checkKeychain({ inSession }) {
  const tools = ['dbus-run-session', 'gnome-keyring-daemon'].filter((tool) => !onPath(tool));
  if (tools.length > 0) return missing('keychain', `no Secret Service keychain: ${tools.join(' and ')} not installed`);
  try {
    createRequire(join(ROOT, 'packages', 'cli', 'package.json'))('@napi-rs/keyring');
  } catch (error) {
    const reason = /** @type {Error} */ (error).message.split('\n')[0];
    return missing('keychain', `@napi-rs/keyring, the keychain module, did not install or load: ${reason}`);
  }
  if (inSession && !(process.env.CONDUIT_TEST_KEYCHAIN === '1' && process.env.DBUS_SESSION_BUS_ADDRESS)) {
    return {
      name: 'keychain',
      available: false,
      missing: 'no private keyring session (run `node scripts/test.mjs cli` or `pnpm --filter conduit-mcp test:keychain`, which start one)',
    };
  }
  return found('keychain', onPath('gnome-keyring-daemon'));
}

const cache = new Map();

/**
 * Whether one service is usable here, without printing anything.
 * `inSession` (keychain only): also require the private keyring session a test runs in.
 * @returns {{ name: string, available: boolean, path?: string, detail?: string, missing?: string }}
 */
export function serviceStatus(name, { inSession = false } = {}) {
  const key = `${name}:${inSession}`;
  if (!cache.has(key)) {
    const check = { chromium: checkChromium, postgres: checkPostgres, redis: checkRedis, keychain: () => checkKeychain({ inSession }) }[name];
    if (!check) throw new Error(`unknown service "${name}" (one of ${SERVICE_NAMES.join(', ')})`);
    cache.set(key, check());
  }
  return cache.get(key);
}

/**
 * For a test file, at load time: the service's status. When it is missing, prints ONE line naming
 * the file, what is missing and how to install it, and returns `available: false` for the file to
 * skip its suites with; under CONDUIT_REQUIRE_SERVICES=1 it throws instead, failing the file.
 * @param {string} name chromium | postgres | redis | keychain
 * @param {string} testFile the caller's import.meta.url (or a path), named in the line
 */
export function useService(name, testFile) {
  const status = serviceStatus(name, { inSession: true });
  if (status.available) return status;
  const path = testFile.startsWith('file:') ? fileURLToPath(testFile) : testFile;
  const file = path.startsWith(`${ROOT}/`) ? relative(ROOT, path) : path;
  if (servicesRequired()) {
    throw new Error(`${file}: ${status.missing}; CONDUIT_REQUIRE_SERVICES=1 makes a missing service a failure`);
  }
  process.stderr.write(`↓ ${file}: skipping the tests that need ${name}: ${status.missing}\n`);
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  if (only) {
    const status = serviceStatus(only);
    if (!status.available) {
      process.stderr.write(`${status.missing}\n`);
      process.exit(1);
    }
    process.stdout.write(`${status.path}\n`);
  } else {
    for (const name of SERVICE_NAMES) {
      const status = serviceStatus(name);
      process.stdout.write(`${name.padEnd(9)} ${status.available ? `ok   ${status.path}${status.detail ? ` (${status.detail})` : ''}` : `MISSING  ${status.missing}`}\n`);
    }
  }
}
