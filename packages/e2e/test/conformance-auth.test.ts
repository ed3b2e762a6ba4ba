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
const CLIENT = join(SRC, 'conformance-client.mjs');
const FOLLOW_URL = join(SRC, 'follow-url.mjs');

/** Every scenario of `--suite auth` in @modelcontextprotocol/conformance 0.1.13; all apply to an authorization-code client. */
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
  'auth/resource-mismatch',
  'auth/pre-registration',
];

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  description: string;
}

const work = mkdtempSync(join(tmpdir(), 'conduit-conformance-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CONFORMANCE_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('MCP conformance suite, client auth scenarios, driving the conduit-mcp auth module', () => {
  it('passes every scenario of --suite auth', async () => {
    const results = join(work, 'results');
    const env = {
      ...process.env,
      // Each scenario process keeps its login in a private file store; the test AS's /authorize redirects
      // straight back, so a BROWSER that follows the URL completes the sign-in.
      CONDUIT_CONFIG_DIR: join(work, 'config'),
      CONDUIT_CREDENTIAL_STORE: 'file',
      CONDUIT_API_TOKEN: '',
      BROWSER: `${process.execPath} ${FOLLOW_URL}`,
    };
    const { code, output } = await run(['client', '--suite', 'auth', '--timeout', '60000', '-o', results, '--command', `exec ${process.execPath} ${CLIENT}`], env);

    const byScenario = new Map<string, Check[]>();
    // Results land in <dir>/auth/<scenario>-<timestamp>/checks.json.
    for (const dir of readdirSync(join(results, 'auth'))) {
      const scenario = `auth/${dir.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')}`;
      byScenario.set(scenario, JSON.parse(readFileSync(join(results, 'auth', dir, 'checks.json'), 'utf8')) as Check[]);
    }
    const problems = [...byScenario].flatMap(([scenario, checks]) =>
      checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${scenario}: ${c.id} ${c.status} ${c.description}`),
    );
    expect(problems, output).toEqual([]);
    expect([...byScenario.keys()].sort()).toEqual([...AUTH_SUITE].sort());
    expect(output).toMatch(/Total: \d+ passed, 0 failed, 0 warnings/);
    expect(code).toBe(0);
  }, 240_000);
});
