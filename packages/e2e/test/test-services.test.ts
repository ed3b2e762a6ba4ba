import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/test-services.mjs, which every suite uses to find Chromium, PostgreSQL, Redis and the
 * keychain: on a machine without them, a test file skips with ONE line saying what to install, and
 * under CONDUIT_REQUIRE_SERVICES=1 the same file fails. The machine "without them" is a PATH that
 * holds only node, and service variables pointing nowhere.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HELPER = join(ROOT, 'scripts', 'test-services.mjs');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const work = mkdtempSync(join(tmpdir(), 'conduit-services-'));
const bareBin = join(work, 'bin');
mkdirSync(bareBin);
symlinkSync(process.execPath, join(bareBin, 'node'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An environment with none of the services: only node on PATH. */
function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: bareBin, HOME: work, CHROMIUM_PATH: '', PG_BIN: '', ...extra };
}

function run(args: string[], env: Record<string, string>, cwd = work) {
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, body);
  return path;
}

describe('service detection', () => {
  it('names each missing service and the package that installs it, one line each', () => {
    const emptyPg = join(work, 'pg-empty');
    mkdirSync(emptyPg, { recursive: true });
    const listing = run([HELPER], bareEnv({ PG_BIN: emptyPg }));
    expect(listing.code).toBe(0);
    expect(listing.stdout.trim().split('\n')).toEqual([
      'chromium  MISSING  Chromium is not installed; to install: apt-get install chromium, or set CHROMIUM_PATH',
      `postgres  MISSING  ${emptyPg} has no initdb, pg_ctl, postgres; to install: apt-get install postgresql, or set PG_BIN to its bin directory`,
      'redis     MISSING  redis-server is not installed; to install: apt-get install redis-server',
      'keychain  MISSING  no Secret Service keychain: dbus-run-session and gnome-keyring-daemon not installed; to install: apt-get install gnome-keyring dbus (the keychain module, @napi-rs/keyring, comes prebuilt with pnpm install)',
    ]);
  });

  it('exits 1 with the reason when asked for one missing service, and prints its path when present', () => {
    const missing = run([HELPER, 'redis'], bareEnv());
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toBe('redis-server is not installed; to install: apt-get install redis-server\n');

    const redisDir = join(work, 'redis-bin');
    mkdirSync(redisDir, { recursive: true });
    for (const tool of ['redis-server', 'redis-cli']) {
      writeFileSync(join(redisDir, tool), '#!/bin/sh\nexit 0\n');
      chmodSync(join(redisDir, tool), 0o755);
    }
    const present = run([HELPER, 'redis'], bareEnv({ PATH: `${bareBin}:${redisDir}` }));
    expect(present).toMatchObject({ code: 0, stdout: `${join(redisDir, 'redis-server')}\n` });
  });

  it('does not take a browser that cannot start, nor a PostgreSQL directory without its server', () => {
    const stub = script('chromium-stub.sh', '#!/bin/sh\necho "Command requires the chromium snap" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
    const browser = run([HELPER, 'chromium'], bareEnv({ CHROMIUM_PATH: stub }));
    expect(browser.code).toBe(1);
    expect(browser.stderr).toBe(`${stub} --version failed; to install: apt-get install chromium, or set CHROMIUM_PATH\n`);

    const notFile = run([HELPER, 'chromium'], bareEnv({ CHROMIUM_PATH: join(work, 'nowhere') }));
    expect(notFile.stderr).toContain(`CHROMIUM_PATH=${join(work, 'nowhere')} is not an executable file`);

    const emptyPg = join(work, 'pg-empty');
    const pg = run([HELPER, 'postgres'], bareEnv({ PG_BIN: emptyPg }));
    expect(pg.code).toBe(1);
    expect(pg.stderr).toBe(`${emptyPg} has no initdb, pg_ctl, postgres; to install: apt-get install postgresql, or set PG_BIN to its bin directory\n`);
  });
});

describe('a test file that needs a missing service', () => {
  // A real vitest run of a file written the way the suites use the helper.
  const dir = join(work, 'suite');
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { include: ['test/**/*.test.mjs'] } };\n");
  writeFileSync(
    join(dir, 'test', 'needs-redis.test.mjs'),
    [
      "import { describe, it } from 'vitest';",
      `import { useService } from ${JSON.stringify(HELPER)};`,
      "const redis = useService('redis', import.meta.url);",
      "describe.skipIf(!redis.available)('with Redis', () => { it('talks to it', () => { throw new Error('ran without Redis'); }); });",
      "describe('without', () => { it('still runs the rest', () => {}); });",
      '',
    ].join('\n'),
  );
  const vitest = (env: Record<string, string>) => run([VITEST, 'run', '--root', dir, '--reporter=json'], env, dir);

  it('is skipped, with one line naming the file, what is missing and how to install it', () => {
    const result = vitest(bareEnv());
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { numPassedTests: number; numPendingTests: number; numFailedTests: number };
    expect(report).toMatchObject({ numPassedTests: 1, numPendingTests: 1, numFailedTests: 0 });
    const lines = result.stderr.split('\n').filter((line) => line.includes('redis'));
    expect(lines).toEqual([`↓ ${join(dir, 'test', 'needs-redis.test.mjs')}: skipping the tests that need redis: redis-server is not installed; to install: apt-get install redis-server`]);
  });

  it('fails under CONDUIT_REQUIRE_SERVICES=1, so CI cannot pass by skipping', () => {
    const result = vitest(bareEnv({ CONDUIT_REQUIRE_SERVICES: '1' }));
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('redis-server is not installed; to install: apt-get install redis-server; CONDUIT_REQUIRE_SERVICES=1 makes a missing service a failure');
  });
});

describe('every test file that starts a service', () => {
  // What starting each service looks like in a test; such a file must ask useService() first, or a
  // machine without the service fails (or waits) instead of skipping with a reason.
  const starts = [/chromium-browser\.mjs/, /from 'playwright-core'/, /startPostgresCluster\(/, /startRedisServer\(/, /redis-server/, /KeychainStore/, /dbus-run-session/];

  it('asks useService() for it', () => {
    const files = spawnSync('git', ['ls-files', 'packages/*/test/*.test.ts', 'packages/*/test/**/*.test.ts'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(10);
    const unchecked = files.filter((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return file !== 'packages/e2e/test/test-services.test.ts' && starts.some((pattern) => pattern.test(text)) && !text.includes('useService(');
    });
    expect(unchecked).toEqual([]);
  });
});
