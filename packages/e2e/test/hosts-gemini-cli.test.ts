import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModel, type FakeModel } from '../src/hosts/fake-model.js';
import { GEMINI_ENV, geminiScript, parseGeminiMcpList, writeGeminiSettings } from '../src/hosts/gemini-cli.js';
import { startOfflineHosts, type OfflineHosts } from '../src/hosts/offline.js';
import { expectSuccess, runHost, type HostRun } from '../src/hosts/run-host.js';
import { recordWorksWith, type WorksWithRow } from '../src/hosts/works-with.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI } from './bridge-helpers.js';

/**
 * The Gemini CLI (pinned) against one `serve --demo` process, configured with `gemini mcp add`:
 * `gemini mcp list` connects to each server itself; `gemini -p`, pointed at a fake Gemini API on
 * loopback, calls a tool the fake model asks for. No API key, no network.
 */

const GEMINI = geminiScript();
const SEARCH = { workspace_id: 'acme-hotels', query: '48 hours', match: 'phrase' };

let server: ServerProcess;
let model: FakeModel;
let hosts: OfflineHosts;
let toolCount: number;
let health: Map<string, string>;
const rows = new Map<string, WorksWithRow>();

function gemini(args: string[], timeoutMs = 90_000): Promise<HostRun> {
  return runHost(process.execPath, [GEMINI, ...args], {
    env: hosts.env({ ...GEMINI_ENV, GOOGLE_GEMINI_BASE_URL: model.geminiUrl, GEMINI_API_KEY: 'fake-gemini-key-e2e' }),
    cwd: hosts.home,
    timeoutMs,
  });
}

/** `gemini -p` with the fake model asking for `tool`; returns the tool's result as the model got it. */
async function modelCalls(server: string, tool: string, args: Record<string, unknown>): Promise<{ text: string; offered: number }> {
  const name = `mcp_${server}_${tool}`;
  const before = model.outcomes.length;
  model.plan({ tool: name, args });
  const run = expectSuccess(await gemini(['-p', `Call ${name}.`, '--approval-mode', 'yolo', '--output-format', 'json'], 120_000), 'gemini -p');
  const outcome = model.outcomes.slice(before).find((o) => o.tool === name);
  if (!outcome) throw new Error(`the model never got a result of ${name}; requests:\n${model.requests.join('\n')}\n${run.stdout}\n${run.stderr}`);
  expect(outcome.isError, outcome.text).toBe(false);
  return { text: outcome.text, offered: model.offered().filter((offered) => offered.startsWith(`mcp_${server}_`)).length };
}

beforeAll(async () => {
  [server, model, hosts] = await Promise.all([startServer({ demo: true }), startFakeModel(), startOfflineHosts('conduit-gemini-home')]);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
  toolCount = (await client.listTools()).tools.length;
  await client.close();

  writeGeminiSettings(hosts.home);
  expectSuccess(await gemini(['mcp', 'add', '--scope', 'user', '--transport', 'http', 'conduit-http', server.mcpUrl, '--header', `Authorization: Bearer ${server.token}`]), 'gemini mcp add');
  expectSuccess(
    // The API token in the bridge's environment: a bridge reading a stored credential can miss its
    // 1.5 s credential deadline while the Gemini CLI starts on a busy 2-core machine (see the notes
    // of the hosts suite); the stored credential is covered with Claude Code, the Inspector and LangChain.
    await gemini(['mcp', 'add', '--scope', 'user', '-e', `CONDUIT_API_TOKEN=${server.token}`, 'conduit-bridge', process.execPath, BRIDGE_CLI, '--url', server.mcpUrl]),
    'gemini mcp add',
  );
  const list = expectSuccess(await gemini(['mcp', 'list']), 'gemini mcp list');
  health = parseGeminiMcpList(list.stdout + list.stderr);
}, 180_000);

afterAll(async () => {
  try {
    const expected = ['http-header', 'bridge-token'];
    if (expected.every((key) => rows.has(key))) {
      recordWorksWith({ id: 'gemini-cli', host: 'Gemini CLI', packageName: '@google/gemini-cli', test: 'hosts-gemini-cli.test.ts', rows: expected.map((key) => rows.get(key)!) });
    }
    expect(hosts.attempts, 'the Gemini CLI tried to reach the network').toEqual([]);
  } finally {
    await Promise.all([model?.close(), hosts?.close()]);
    const stopping = Date.now();
    const code = await server?.stop();
    expect(code, `exit after ${Date.now() - stopping} ms:\n${server?.output().slice(-3000)}`).toBe(0);
    server?.cleanup();
  }
});

describe('Gemini CLI', () => {
  it('HTTP with a bearer header: Connected, every tool declared to the model, and a tool call answered', async () => {
    expect(health.get('conduit-http'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-http', 'search_knowledge_nodes', SEARCH);
    expect(text).toContain('48 hours');
    expect(offered).toBe(toolCount);
    rows.set('http-header', { configuration: '`gemini mcp add --transport http conduit <url> --header "Authorization: Bearer capi_…"`', result: `✔ Connected; ${offered} tools; a tool call answered` });
  });

  it('the stdio bridge with an API token: Connected, and a tool call answered', async () => {
    expect(health.get('conduit-bridge'), [...health].join('\n')).toBe('Connected');
    const { text, offered } = await modelCalls('conduit-bridge', 'search_knowledge_nodes', SEARCH);
    expect(text).toContain('48 hours');
    expect(offered).toBe(toolCount);
    rows.set('bridge-token', { configuration: '`gemini mcp add -e CONDUIT_API_TOKEN=capi_… conduit npx conduit-mcp --url <url>`', result: `✔ Connected; ${offered} tools; a tool call answered` });
  });
});
