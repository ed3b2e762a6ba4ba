import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const CONFORMANCE_CLI = join(dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const WITH_NODE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'with-node.sh');
const CLIENT = join(SRC, 'conformance-client.mjs');
const FOLLOW_URL = join(SRC, 'follow-url.mjs');

/** Every scenario of `--suite auth` in @modelcontextprotocol/conformance 0.1.16; all apply to an authorization-code client. */
const AUTH_SUITE = [
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
];

/**
 * Scenarios outside `--suite auth` (drafts, 2025-03-26 back-compatibility) that apply too. Not
 * auth/2025-03-26-oauth-endpoint-fallback: it has the client guess the endpoints of a server that
 * publishes no metadata, and conduit-mcp signs in only where the server publishes it.
 */
const MORE_AUTH_SCENARIOS = ['auth/resource-mismatch', 'auth/offline-access-scope', 'auth/offline-access-not-supported', 'auth/2025-03-26-oauth-metadata-backcompat'];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  description: string;
}

const work = mkdtempSync(join(tmpdir(), 'conduit-conformance-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The suite needs Node 22 or newer: scripts/with-node.sh runs it there; the client it drives runs on this Node. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [WITH_NODE, '--no-native', '22', 'node', CONFORMANCE_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Results land in <dir>/auth/<scenario>-<timestamp>/checks.json. */
function resultsByScenario(results: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const dir of readdirSync(join(results, 'auth'))) {
    const scenario = `auth/${dir.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')}`;
    byScenario.set(scenario, JSON.parse(readFileSync(join(results, 'auth', dir, 'checks.json'), 'utf8')) as Check[]);
  }
  return byScenario;
}

function problemsOf(byScenario: Map<string, Check[]>): string[] {
  return [...byScenario].flatMap(([scenario, checks]) =>
    checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${scenario}: ${c.id} ${c.status} ${c.description}`),
  );
}

describe('MCP conformance suite, client auth scenarios, driving the conduit-mcp auth module', () => {
  // Each scenario process keeps its login in a private file store; the test AS's /authorize redirects
  // straight back, so a BROWSER that follows the URL completes the sign-in.
  const env = (config: string) => ({
    ...process.env,
    CONDUIT_CONFIG_DIR: join(work, config),
    CONDUIT_CREDENTIAL_STORE: 'file',
    CONDUIT_API_TOKEN: '',
    BROWSER: `${process.execPath} ${FOLLOW_URL}`,
  });
  const command = `exec ${process.execPath} ${CLIENT}`;

  it('passes every scenario of --suite auth', async () => {
    const results = join(work, 'results');
    const { code, output } = await run(['client', '--suite', 'auth', '--timeout', '60000', '-o', results, '--command', command], env('config'));
    const byScenario = resultsByScenario(results);
    expect(problemsOf(byScenario), output).toEqual([]);
    expect([...byScenario.keys()].sort()).toEqual([...AUTH_SUITE].sort());
    expect(output).toMatch(/Total: \d+ passed, 0 failed, 0 warnings/);
    expect(code).toBe(0);
  }, 240_000);

  it('passes the authorization scenarios outside the suite that apply: resource mismatch, offline_access, 2025-03-26 metadata', async () => {
    const results = join(work, 'more-results');
    for (const scenario of MORE_AUTH_SCENARIOS) {
      const { code, output } = await run(['client', '--scenario', scenario, '--timeout', '60000', '-o', results, '--command', command], env('more-config'));
      expect(output, scenario).toMatch(/Passed: (\d+)\/\1, 0 failed, 0 warnings/);
      expect(code, output).toBe(0);
    }
    const byScenario = resultsByScenario(results);
    expect(problemsOf(byScenario)).toEqual([]);
    expect([...byScenario.keys()].sort()).toEqual([...MORE_AUTH_SCENARIOS].sort());
  }, 240_000);
});
