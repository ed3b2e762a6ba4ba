#!/usr/bin/env node
// Runs every package's vitest suite one after another and prints one closing line with the totals.
// Sequential on purpose: the suites start real servers, browsers and keychains, and CI has 2 cores.
// The CLI suite runs inside a private D-Bus session with an unlocked gnome-keyring, so its keychain
// tests talk to a real Secret Service (HOME points at a throwaway directory so no real keyring is touched).
// The server suite runs twice: on SQLite, then, when PostgreSQL's binaries are installed, on a
// throwaway PostgreSQL cluster (packages/server/scripts/test-postgres.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const runs = ['server', 'server-postgres', 'cli', 'e2e'].filter((p) => only.length === 0 || only.includes(p));
const resultsDir = join(root, '.tmp', 'test-results');
mkdirSync(resultsDir, { recursive: true });

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function hasPostgres() {
  if (process.env.PG_BIN) return true;
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((version) => existsSync(join(base, version, 'bin', 'pg_ctl')));
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedRun = false;
for (const name of runs) {
  if (name === 'server-postgres' && !hasPostgres()) {
    process.stdout.write('\n== server (postgres): skipped, PostgreSQL is not installed\n');
    continue;
  }
  const cwd = join(root, 'packages', name === 'server-postgres' ? 'server' : name);
  const output = join(resultsDir, `${name}.json`);
  rmSync(output, { force: true });
  const vitestArgs = `--passWithNoTests --reporter=default --reporter=json --outputFile=${output}`;
  const vitest = `${join(root, 'node_modules', '.bin', 'vitest')} run ${vitestArgs}`;
  let command = name === 'server-postgres' ? `bash scripts/test-postgres.sh ${vitestArgs}` : vitest;
  let env = process.env;
  if (name === 'cli' && hasCommand('dbus-run-session') && hasCommand('gnome-keyring-daemon')) {
    const home = mkdtempSync(join(tmpdir(), 'conduit-keyring-'));
    env = { ...process.env, HOME: home, CONDUIT_TEST_KEYCHAIN: '1' };
    command = `dbus-run-session -- sh -c 'echo test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec ${vitest}'`;
  }
  process.stdout.write(`\n== ${name === 'server-postgres' ? 'server (postgres)' : name}\n`);
  const run = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  if (run.status !== 0) failedRun = true;
  if (existsSync(output)) {
    const report = JSON.parse(readFileSync(output, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  } else {
    failedRun = true;
    process.stdout.write(`${name}: the test run produced no report\n`);
  }
}
process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failedRun || totals.failed > 0 ? 1 : 0);
