#!/usr/bin/env node
// Runs every package's vitest suite one after another and prints one closing line with the totals.
// Sequential on purpose: the suites start real servers, browsers and keychains, and CI has 2 cores.
// The CLI suite runs inside a private D-Bus session with an unlocked gnome-keyring, so its keychain
// tests talk to a real Secret Service (HOME points at a throwaway directory so no real keyring is touched).
// The server suite runs twice: on SQLite, then on a throwaway PostgreSQL cluster
// (packages/server/scripts/test-postgres.sh).
// A system service that is not installed (scripts/test-services.mjs) skips the tests that need it,
// with one line saying what to install; under CONDUIT_REQUIRE_SERVICES=1 (CI) it fails the run.
//
//   node scripts/test.mjs [server] [server-postgres] [cli] [e2e] [e2e-smoke]
// (no argument: the first four; e2e-smoke is the part of e2e that CI also runs on the other Node
// majors, through scripts/with-node.sh)
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { SERVICE_NAMES, serviceStatus, servicesRequired } from './test-services.mjs';

const root = resolve(import.meta.dirname, '..');
const suites = ['server', 'server-postgres', 'cli', 'e2e', 'e2e-smoke'];
// Real processes end to end: the server with the SDK client, the bridge as hosts start it, the
// CLI's OAuth login and the OAuth pages in Chromium.
const SMOKE = ['test/server-e2e.test.ts', 'test/bridge-e2e.test.ts', 'test/cli-oauth.test.ts', 'test/oauth-browser.test.ts'];
const only = process.argv.slice(2);
const unknown = only.filter((name) => !suites.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`test.mjs: unknown suite ${unknown.join(', ')} (one of ${suites.join(', ')})\n`);
  process.exit(2);
}
const runs = only.length === 0 ? suites.filter((name) => name !== 'e2e-smoke') : suites.filter((name) => only.includes(name));
const resultsDir = join(root, '.tmp', 'test-results');
mkdirSync(resultsDir, { recursive: true });
const started = Date.now();

const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, serviceStatus(name)]));
const absent = SERVICE_NAMES.filter((name) => !services[name].available);
process.stdout.write(`node ${process.version}; services: ${SERVICE_NAMES.map((name) => `${name} ${services[name].available ? 'ok' : 'MISSING'}`).join(', ')}\n`);
for (const name of absent) {
  process.stdout.write(`  ${name}: ${services[name].missing}${servicesRequired() ? '' : ' (its tests are skipped)'}\n`);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let failedRun = false;
const failures = [];
for (const name of runs) {
  const title = { 'server-postgres': 'server (postgres)', 'e2e-smoke': 'e2e (smoke)' }[name] ?? name;
  if (name === 'server-postgres' && !services.postgres.available) {
    process.stdout.write(`\n== ${title}: ${servicesRequired() ? 'FAILED' : 'skipped'}, ${services.postgres.missing}\n`);
    if (servicesRequired()) {
      failedRun = true;
      failures.push(`${name}: not run, ${services.postgres.missing}`);
    }
    continue;
  }
  const cwd = join(root, 'packages', { 'server-postgres': 'server', 'e2e-smoke': 'e2e' }[name] ?? name);
  const output = join(resultsDir, `${name}.json`);
  rmSync(output, { force: true });
  const vitestArgs = `--passWithNoTests --reporter=default --reporter=json --outputFile=${output}`;
  const files = name === 'e2e-smoke' ? ` ${SMOKE.join(' ')}` : '';
  const vitest = `${join(root, 'node_modules', '.bin', 'vitest')} run ${vitestArgs}${files}`;
  let command = name === 'server-postgres' ? `bash scripts/test-postgres.sh ${vitestArgs}` : vitest;
  let env = process.env;
  let keyringHome;
  if (name === 'server-postgres') env = { ...process.env, PG_BIN: services.postgres.path };
  if (name === 'cli' && services.keychain.available) {
    keyringHome = mkdtempSync(join(tmpdir(), 'conduit-keyring-'));
    env = { ...process.env, HOME: keyringHome, CONDUIT_TEST_KEYCHAIN: '1' };
    command = `dbus-run-session -- sh -c 'echo test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec ${vitest}'`;
  }
  process.stdout.write(`\n== ${title} on Node ${process.version}\n`);
  const run = spawnSync('sh', ['-c', command], { cwd, env, stdio: 'inherit' });
  // The keyring's HOME holds only this run's throwaway keychain.
  if (keyringHome) rmSync(keyringHome, { recursive: true, force: true });
  if (run.status !== 0) failedRun = true;
  if (existsSync(output)) {
    const report = JSON.parse(readFileSync(output, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    // Name each failed test with its first error line: CI shows only the tail of the log, where
    // "1 failed" alone cannot be acted on.
    for (const file of report.testResults) {
      for (const test of file.assertionResults.filter((result) => result.status === 'failed')) {
        const lines = (test.failureMessages?.[0] ?? '').split('\n');
        const where = lines.find((line) => /^\s+at /.test(line) && !line.includes('node_modules'))?.trim();
        const why = [lines[0].slice(0, 300), where].filter(Boolean).join(' ');
        failures.push(`${name}: FAILED ${relative(cwd, file.name)} > ${test.fullName}${why ? `: ${why}` : ''}`);
      }
    }
    // vitest also exits non-zero with every test passed: a file that failed to load, or an error
    // thrown outside any test. Name it here, or the closing line reads "0 failed" on a failed run.
    if (run.status !== 0 && report.numFailedTests === 0) {
      const broken = report.testResults
        .filter((file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'))
        .map((file) => {
          // A failed beforeAll leaves no message on the file and marks its tests skipped.
          const skipped = file.assertionResults.filter((test) => test.status === 'skipped' || test.status === 'pending').length;
          const why = file.message ? file.message.split('\n')[0] : `a hook failed, ${skipped} test(s) skipped; its error is above`;
          return `${relative(cwd, file.name)} (${why})`;
        });
      const cause = broken.length > 0 ? `failed to run ${broken.join(', ')}` : 'an error outside any test (see "Errors" above)';
      failures.push(`${name}: vitest exited with status ${run.status ?? run.signal} and no failed test: ${cause}`);
    }
  } else {
    failedRun = true;
    failures.push(`${name}: the test run produced no report (exit status ${run.status ?? run.signal})`);
  }
}
const seconds = Math.round((Date.now() - started) / 1000);
const note = absent.length > 0 ? `; missing services: ${absent.join(', ')}${servicesRequired() ? ' (required: CONDUIT_REQUIRE_SERVICES=1)' : ' (their tests were skipped)'}` : '';
process.stdout.write(`\n${runs.join(', ')} on Node ${process.version} in ${Math.floor(seconds / 60)} min ${seconds % 60} s${note}\n`);
// The closing line stays exactly "tests: N passed, N failed, N skipped" for tools that read it;
// CONDUIT_TEST_TOTALS (a file) collects the totals of several runs, e.g. one per Node version.
for (const failure of failures) process.stdout.write(`${failure}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
if (process.env.CONDUIT_TEST_TOTALS) {
  appendFileSync(process.env.CONDUIT_TEST_TOTALS, `${JSON.stringify({ node: process.version, runs, ...totals, failedRun, failures, seconds })}\n`);
}
process.exit(failedRun || totals.failed > 0 ? 1 : 0);
