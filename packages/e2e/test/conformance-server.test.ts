import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startBearerProxy, type BearerProxy } from '../src/bearer-proxy.js';
import { docsRow, expectedFailures, SERVER_SCENARIOS, type ServerMode } from '../src/conformance-scenarios.js';
import { freePort } from '../../../scripts/free-port.mjs';
import { startServer, type ServerProcess } from '../src/server-process.js';

const require = createRequire(import.meta.url);
const CONFORMANCE_PACKAGE = dirname(require.resolve('@modelcontextprotocol/conformance/package.json'));
const CONFORMANCE_CLI = join(CONFORMANCE_PACKAGE, 'dist', 'index.js');
const CONFORMANCE_VERSION = (JSON.parse(readFileSync(join(CONFORMANCE_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WITH_NODE = join(ROOT, 'scripts', 'with-node.sh');

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  description: string;
  errorMessage?: string;
  details?: { message?: string };
}

const work = mkdtempSync(join(tmpdir(), 'conduit-conformance-server-'));
const started: { proxy?: BearerProxy; server?: ServerProcess }[] = [];
afterAll(async () => {
  for (const { proxy, server } of started) {
    await server?.stop();
    server?.cleanup();
    await proxy?.close();
  }
  rmSync(work, { recursive: true, force: true });
});

/** The suite needs Node 22 or newer: scripts/with-node.sh runs it there whatever runs the tests. */
function conformance(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [WITH_NODE, '--no-native', '22', 'node', CONFORMANCE_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Results land in <dir>/server-<scenario>-<timestamp>/checks.json. */
function resultsByScenario(dir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
    byScenario.set(scenario, JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return byScenario;
}

const failing = (checks: Check[]) => checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING');
const describeCheck = (check: Check) => `${check.status} ${check.id}: ${check.errorMessage ?? check.details?.message ?? check.description}`;

describe.each<ServerMode>(['stateless', 'sessions'])(`MCP conformance suite ${CONFORMANCE_VERSION}, server scenarios, %s`, (mode) => {
  it('passes every scenario that applies; the others fail only the way conformance-scenarios.ts says', async () => {
    // The suite has no option to send a header: a loopback proxy adds the demo token. The server
    // names the proxy as its public URL, as behind any reverse proxy, so DNS-rebinding checks apply.
    const proxy = await startBearerProxy();
    started.push({ proxy });
    // Its banner names the public URL, so the address it listens on is chosen here.
    const port = await freePort();
    const server = await startServer({ demo: true, port, args: ['--public-url', proxy.url, ...(mode === 'sessions' ? ['--sessions'] : [])] });
    started.push({ server });
    proxy.setUpstream(`http://127.0.0.1:${port}`, server.token!);

    const baseline = join(work, `${mode}-expected-failures.yml`);
    writeFileSync(baseline, `server:\n${expectedFailures(mode).map((name) => `  - ${name}\n`).join('')}`);
    const results = join(work, mode);
    const { code, output } = await conformance(['server', '--url', `${proxy.url}/v1/mcp`, '--suite', 'all', '--expected-failures', baseline, '-o', results]);

    const byScenario = resultsByScenario(results);
    expect([...byScenario.keys()].sort(), output).toEqual(Object.keys(SERVER_SCENARIOS).sort());
    const problems: string[] = [];
    for (const [scenario, checks] of byScenario) {
      const expectation = SERVER_SCENARIOS[scenario]!;
      const failed = failing(checks);
      if (expectation.outcome[mode] === 'passes') {
        problems.push(...failed.map((check) => `${scenario} should pass: ${describeCheck(check)}`));
      } else if (!failed.some((check) => expectation.failure!.test(describeCheck(check)))) {
        problems.push(`${scenario} should fail with ${String(expectation.failure)}, got: ${failed.map(describeCheck).join('; ') || 'no failure'}`);
      }
    }
    expect(problems, output).toEqual([]);
    expect(output).toMatch(/Baseline check passed: all failures are expected/);
    expect(code, output).toBe(0);
  }, 300_000);
});

describe('docs/protocol.md', () => {
  it('lists every server scenario of the pinned suite with its outcome in each mode and why', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8');
    expect(docs).toContain(`@modelcontextprotocol/conformance@${CONFORMANCE_VERSION}`);
    const rows = docs.split('\n').filter((line) => /^\| `[a-z0-9-]+` \| (passes|not applicable) \|/.test(line));
    expect(rows).toEqual(Object.entries(SERVER_SCENARIOS).map(([name, expectation]) => docsRow(name, expectation)));
  });
});
