import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAUDE_OFFLINE_ENV, claudeBinary, parseMcpList } from '../src/hosts/claude-code.js';
import { startFakeModel, type FakeModel } from '../src/hosts/fake-model.js';
import { startOfflineHosts, type OfflineHosts } from '../src/hosts/offline.js';
import { expectSuccess, runHost, type HostRun } from '../src/hosts/run-host.js';
import { recordWorksWith, type WorksWithRow } from '../src/hosts/works-with.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI } from './bridge-helpers.js';

/**
 * Claude Code (the real CLI, pinned) against one `serve --demo` process, configured the way its
 * users do it (`claude mcp add`), with no model API key: `claude mcp list` health-checks every
 * server itself, and a fake model API on loopback makes `claude -p` call a tool for real.
 */

const CLAUDE = claudeBinary();
const SEARCH = { workspace_id: 'acme-hotels', query: '48 hours', match: 'phrase' };

let server: ServerProcess;
let model: FakeModel;
let hosts: OfflineHosts;
let bridgeConfig: string;
let toolCount: number;
let health: Map<string, string>;
const rows = new Map<string, WorksWithRow>();

function claudeEnv(): Record<string, string> {
  return hosts.env({ ...CLAUDE_OFFLINE_ENV, ANTHROPIC_BASE_URL: model.anthropicUrl, ANTHROPIC_API_KEY: 'sk-ant-fake-e2e' });
}

/** `claude …` in the project directory every server was added to (its local scope). */
function claude(args: string[], timeoutMs = 60_000): Promise<HostRun> {
  return runHost(CLAUDE, args, { env: claudeEnv(), cwd: hosts.home, timeoutMs });
}

/** `claude -p` with the fake model asking for `tool`; returns the tool's result as the model got it. */
async function modelCalls(server: string, tool: string, args: Record<string, unknown>): Promise<{ text: string; offered: number }> {
  const name = `mcp__${server}__${tool}`;
  const before = model.outcomes.length;
  model.plan({ tool: name, args });
  const run = expectSuccess(await claude(['-p', `Call ${name}.`, '--allowedTools', `mcp__${server}`, '--output-format', 'json'], 120_000), 'claude -p');
  const outcome = model.outcomes.slice(before).find((o) => o.tool === name);
  if (!outcome) throw new Error(`the model never got a result of ${name}; requests: ${model.requests.join('\n')}\n${run.stdout}\n${run.stderr}`);
  expect(outcome.isError, outcome.text).toBe(false);
  return { text: outcome.text, offered: model.offered().filter((offered) => offered.startsWith(`mcp__${server}__`)).length };
}

beforeAll(async () => {
  [server, model, hosts] = await Promise.all([startServer({ demo: true }), startFakeModel(), startOfflineHosts('conduit-claude-home')]);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
  toolCount = (await client.listTools()).tools.length;
  await client.close();

  // The bridge's stored credential, as `conduit-mcp login --token-stdin` leaves it (file store).
  bridgeConfig = mkdtempSync(join(tmpdir(), 'conduit-claude-bridge-'));
  const bridgeEnv = ['-e', `CONDUIT_CONFIG_DIR=${bridgeConfig}`, '-e', 'CONDUIT_CREDENTIAL_STORE=file'];
  expectSuccess(
    await runHost(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--token-stdin'], {
      env: hosts.env({ CONDUIT_CONFIG_DIR: bridgeConfig, CONDUIT_CREDENTIAL_STORE: 'file' }),
      cwd: hosts.home,
      input: server.token!,
      timeoutMs: 30_000,
    }),
    'conduit-mcp login --token-stdin',
  );

  expectSuccess(await claude(['mcp', 'add', '--transport', 'http', 'conduit-http', server.mcpUrl, '--header', `Authorization: Bearer ${server.token}`]), 'claude mcp add');
  expectSuccess(await claude(['mcp', 'add', 'conduit-bridge', ...bridgeEnv, '--', process.execPath, BRIDGE_CLI, '--url', server.mcpUrl]), 'claude mcp add');
  expectSuccess(await claude(['mcp', 'add', '--transport', 'http', 'conduit-oauth', server.mcpUrl]), 'claude mcp add');
  // One health check of every configuration at once, as a user sees it.
  const list = expectSuccess(await claude(['mcp', 'list']), 'claude mcp list');
  health = parseMcpList(list.stdout);
}, 180_000);

afterAll(async () => {
  try {
    const expected = ['http-header', 'bridge-stored', 'http-no-header'];
    if (expected.every((key) => rows.has(key))) {
      recordWorksWith({ id: 'claude-code', host: 'Claude Code', packageName: '@anthropic-ai/claude-code', test: 'hosts-claude-code.test.ts', rows: expected.map((key) => rows.get(key)!) });
    }
    expect(hosts.attempts, 'Claude Code tried to reach the network').toEqual([]);
  } finally {
    await Promise.all([model?.close(), hosts?.close()]);
    rmSync(bridgeConfig, { recursive: true, force: true });
    expect(await server?.stop(), server?.output().slice(-3000)).toBe(0);
    server?.cleanup();
  }
});

describe('Claude Code', () => {
  it('HTTP with a bearer header: Connected, every tool offered to the model, and a tool call answered', async () => {
    expect(health.get('conduit-http'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-http', 'search_knowledge_nodes', SEARCH);
    expect(text).toContain('48 hours');
    expect(offered).toBe(toolCount);
    rows.set('http-header', { configuration: '`claude mcp add --transport http conduit <url> --header "Authorization: Bearer capi_…"`', result: `✔ Connected; ${offered} tools; a tool call answered` });
  });

  it('the stdio bridge with a stored credential: Connected, and a tool call answered', async () => {
    expect(health.get('conduit-bridge'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-bridge', 'search_knowledge_nodes', SEARCH);
    expect(text).toContain('48 hours');
    expect(offered).toBe(toolCount);
    rows.set('bridge-stored', { configuration: '`claude mcp add conduit -- npx conduit-mcp --url <url>` after `conduit-mcp login --token-stdin`', result: `✔ Connected; ${offered} tools; a tool call answered` });
  });

  it('HTTP without a header: "Needs authentication" (it found the OAuth metadata)', () => {
    expect(health.get('conduit-oauth'), [...health].join('\n')).toBe('Needs authentication');
    rows.set('http-no-header', { configuration: '`claude mcp add --transport http conduit <url>` (no header), before signing in', result: '! Needs authentication' });
  });
});
