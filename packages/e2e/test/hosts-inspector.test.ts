import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { freePort } from '../../../scripts/free-port.mjs';
import { signInInChromium } from '../src/hosts/browser-sign-in.js';
import { INSPECTOR_ENV, INSPECTOR_LAUNCHER, inspectorNode } from '../src/hosts/inspector.js';
import { startOfflineHosts, type OfflineHosts } from '../src/hosts/offline.js';
import { expectTriageRequest } from '../src/hosts/prompt-request.js';
import { expectSuccess, runHost, startHost, type HostRun } from '../src/hosts/run-host.js';
import { recordWorksWith, type WorksWithRow } from '../src/hosts/works-with.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { BRIDGE_CLI } from './bridge-helpers.js';

/**
 * The MCP Inspector CLI (latest, pinned) against one `serve --demo` process: over streamable HTTP
 * with a bearer header, through the stdio bridge, and over HTTP with its own OAuth sign-in, which a
 * scripted headless Chromium completes on the server's sign-in and consent pages. Its schema
 * portability check runs on every tools/list: the server's schemas must pass it with no finding.
 */

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const chromium = useService('chromium', import.meta.url);

let server: ServerProcess;
let hosts: OfflineHosts;
let node: string;
let bridgeConfig: string;
let toolNames: string[];
const rows = new Map<string, WorksWithRow>();

interface ListResult {
  result: { tools: Array<{ name: string }> };
  schemaFindings?: unknown[];
}
interface CallResult {
  result: { isError?: boolean; structuredContent: { data: Array<{ matches: string[] }> } };
}

function inspector(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<HostRun> {
  return runHost(node, [INSPECTOR_LAUNCHER, '--cli', ...args], { env: hosts.env({ ...INSPECTOR_ENV, ...env }), cwd: hosts.home, timeoutMs });
}

const SEARCH_ARGS = ['--method', 'tools/call', '--tool-name', 'search_knowledge_nodes', '--tool-arg', 'workspace_id=acme-hotels', '--tool-arg', 'query=48 hours', '--tool-arg', 'match=phrase'];

/** tools/list with the portability check in full, then one tool call; returns the number of tools. */
async function listAndCall(target: string[], env: Record<string, string> = {}): Promise<number> {
  const list = expectSuccess(await inspector([...target, '--method', 'tools/list', '--strict', '--format', 'json'], env), 'inspector tools/list');
  const listed = JSON.parse(list.stdout) as ListResult;
  expect(listed.result.tools.map((tool) => tool.name).sort()).toEqual(toolNames);
  expect(listed.schemaFindings ?? [], 'schema portability findings').toEqual([]);
  expect(list.stderr).not.toContain('Schema portability');
  const call = expectSuccess(await inspector([...target, ...SEARCH_ARGS, '--format', 'json'], env), 'inspector tools/call');
  const result = (JSON.parse(call.stdout) as CallResult).result;
  expect(result.isError).not.toBe(true);
  expect(result.structuredContent.data[0]!.matches.join(' ')).toContain('48 hours');
  return listed.result.tools.length;
}

interface PromptList {
  result: { prompts: Array<{ name: string; title?: string; icons?: Array<{ src: string; mimeType?: string }> }> };
}
interface PromptGet {
  result: { messages: Array<{ role: string; content: { type: string; text?: string } }> };
}

const PROMPTS = ['use_workspace', 'triage_tickets', 'find_conversations', 'draft_reply', 'find_knowledge_mentions'];

/** prompts/list, then prompts/get of triage_tickets for acme-hotels over 7 days; returns the number of prompts. */
async function listAndGetPrompts(target: string[]): Promise<number> {
  const list = expectSuccess(await inspector([...target, '--method', 'prompts/list', '--format', 'json']), 'inspector prompts/list');
  const { prompts } = (JSON.parse(list.stdout) as PromptList).result;
  expect(prompts.map((prompt) => prompt.name)).toEqual(PROMPTS);
  for (const prompt of prompts) {
    expect(prompt.title, prompt.name).toBeTruthy();
    expect(prompt.icons?.[0]?.src, prompt.name).toMatch(/^data:image\/png;base64,/);
  }
  const startedAt = Date.now();
  const get = expectSuccess(
    await inspector([...target, '--method', 'prompts/get', '--prompt-name', 'triage_tickets', '--prompt-args', 'workspace=acme-hotels', 'window=7d', '--format', 'json']),
    'inspector prompts/get',
  );
  const { messages } = (JSON.parse(get.stdout) as PromptGet).result;
  expect(messages.map((message) => [message.role, message.content.type])).toEqual([['user', 'text']]);
  expectTriageRequest(messages[0]!.content.text!, startedAt);
  return prompts.length;
}

beforeAll(async () => {
  [server, hosts, node] = await Promise.all([startServer({ demo: true }), startOfflineHosts('conduit-inspector-home'), inspectorNode()]);
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
  toolNames = (await client.listTools()).tools.map((tool) => tool.name).sort();
  await client.close();

  bridgeConfig = mkdtempSync(join(tmpdir(), 'conduit-inspector-bridge-'));
  expectSuccess(
    await runHost(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--token-stdin'], {
      env: hosts.env({ CONDUIT_CONFIG_DIR: bridgeConfig, CONDUIT_CREDENTIAL_STORE: 'file' }),
      cwd: hosts.home,
      input: server.token!,
      timeoutMs: 30_000,
    }),
    'conduit-mcp login --token-stdin',
  );
}, 360_000);

afterAll(async () => {
  try {
    // The page shows the whole matrix: a run that skipped rows (no Chromium here) leaves it alone.
    const expected = ['http-header', 'bridge-stored', 'http-oauth', 'prompts', 'prompt-error', 'prompt-complete'];
    if (expected.every((key) => rows.has(key))) {
      recordWorksWith({ id: 'inspector', host: 'MCP Inspector CLI', packageName: '@modelcontextprotocol/inspector', test: 'hosts-inspector.test.ts', rows: expected.map((key) => rows.get(key)!) });
    }
    expect(hosts.attempts, 'the Inspector tried to reach the network').toEqual([]);
  } finally {
    await hosts?.close();
    rmSync(bridgeConfig, { recursive: true, force: true });
    const stopping = Date.now();
    const code = await server?.stop();
    expect(code, `exit after ${Date.now() - stopping} ms:\n${server?.output().slice(-3000)}`).toBe(0);
    server?.cleanup();
  }
});

describe('MCP Inspector CLI', () => {
  it('HTTP with a bearer header: every tool listed with portable schemas, and a tool call', async () => {
    const count = await listAndCall([server.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${server.token}`]);
    rows.set('http-header', { configuration: '`npx @modelcontextprotocol/inspector --cli <url> --transport http --header "Authorization: Bearer capi_…"`', result: `✔ ${count} tools, schema portability: no finding; a tool call answered` });
  });

  it('stdio through the bridge with a stored credential: every tool listed, and a tool call', async () => {
    const count = await listAndCall(['-e', `CONDUIT_CONFIG_DIR=${bridgeConfig}`, '-e', 'CONDUIT_CREDENTIAL_STORE=file', process.execPath, BRIDGE_CLI, '--url', server.mcpUrl]);
    rows.set('bridge-stored', { configuration: '`npx @modelcontextprotocol/inspector --cli npx conduit-mcp --url <url>` after `conduit-mcp login --token-stdin`', result: `✔ ${count} tools; a tool call answered` });
  });

  it('prompts over HTTP and through the bridge: listed with titles and icons, and prompts/get returns the request', async () => {
    const http = [server.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${server.token}`];
    const count = await listAndGetPrompts(http);
    expect(await listAndGetPrompts(['-e', `CONDUIT_CONFIG_DIR=${bridgeConfig}`, '-e', 'CONDUIT_CREDENTIAL_STORE=file', process.execPath, BRIDGE_CLI, '--url', server.mcpUrl])).toBe(count);
    rows.set('prompts', {
      configuration: 'prompts (HTTP, and the bridge): `--method prompts/list`, then `--method prompts/get --prompt-name triage_tickets --prompt-args workspace=acme-hotels window=7d`',
      result: `✔ ${count} prompts with titles and icons; the request as one user message (\`updated_after\` 7 days back)`,
    });
  });

  it('prompts/get for a workspace the credential cannot use: exit 1 with the server\'s message', async () => {
    const run = await inspector([server.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${server.token}`, '--method', 'prompts/get', '--prompt-name', 'triage_tickets', '--prompt-args', 'workspace=no-such-workspace', '--format', 'json']);
    expect(run.code).toBe(1);
    const message = 'Invalid argument "workspace" of prompt triage_tickets: "no-such-workspace" is not a workspace this credential can use; it can use: acme-hotels, northwind-clinic';
    expect((JSON.parse(run.stderr) as { error: { message: string } }).error.message).toBe(message);
    rows.set('prompt-error', { configuration: 'the same with `workspace=no-such-workspace`', result: `exit 1: \`${message}\`` });
  });

  it('completion: the CLI has no method for it (the server\'s completion is tested with the SDK client)', async () => {
    const run = await inspector([server.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${server.token}`, '--method', 'prompts/complete', '--complete-ref-type', 'ref/prompt', '--complete-ref', 'triage_tickets', '--complete-arg-name', 'workspace', '--complete-arg-value', 'ac', '--format', 'json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Unsupported method: prompts/complete.');
    rows.set('prompt-complete', { configuration: '`--method prompts/complete …` (completion of an argument)', result: 'not in the CLI: "Unsupported method: prompts/complete"' });
  });

  it.skipIf(!chromium.available)('HTTP with its OAuth sign-in: registers, the browser signs in and consents, then a tool call', async () => {
    const urls = join(hosts.home, 'opened-urls.txt');
    // The Inspector's OAuth redirect listener takes no port 0.
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    // Without a terminal the Inspector only signs in when told it may open a browser: BROWSER
    // records the URL, and this test opens it in headless Chromium.
    const run = startHost(node, [INSPECTOR_LAUNCHER, '--cli', server.mcpUrl, '--transport', 'http', '--callback-url', callback, ...SEARCH_ARGS, '--format', 'json'], {
      env: hosts.env({ ...INSPECTOR_ENV, MCP_AUTO_OPEN_ENABLED: 'true', BROWSER: `${process.execPath} ${join(SRC, 'hosts', 'record-url.mjs')}`, RECORD_URL_FILE: urls }),
      cwd: hosts.home,
      input: '',
      timeoutMs: 120_000,
    });
    await run.waitFor(/Please navigate to: http/, 60_000);
    // BROWSER is a Node process of its own: its start-up alone takes seconds on a busy machine.
    const deadline = Date.now() + 30_000;
    while (!existsSync(urls) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (!existsSync(urls)) throw new Error(`the Inspector never started its BROWSER:\n${run.output()}`);
    const url = readFileSync(urls, 'utf8').trim().split('\n')[0]!;
    expect(new URL(url).searchParams.get('redirect_uri')).toBe(callback);
    const browser = await signInInChromium(url, { home: hosts.home, chromiumPath: chromium.path!, user: server.demoUser! });
    expect(browser.code, browser.stderr).toBe(0);
    const done = await run.finished;
    expect(done.code, run.output()).toBe(0);
    const result = (JSON.parse(done.stdout) as CallResult).result;
    expect(result.isError).not.toBe(true);
    expect(result.structuredContent.data[0]!.matches.join(' ')).toContain('48 hours');
    rows.set('http-oauth', { configuration: '`npx @modelcontextprotocol/inspector --cli <url> --transport http` (no header): its OAuth sign-in in the browser', result: '✔ registered, signed in, a tool call answered' });
  });
});
