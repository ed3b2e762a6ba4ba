import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_CLI, startServer, type ServerProcess } from '../src/server-process.js';
import { INSPECTOR_ENV, INSPECTOR_LAUNCHER, inspectorNode } from '../src/hosts/inspector.js';
import { BRIDGE_CLI, callOk, connectStdio, E2E_DIR, hostEnv, startDroppingProxy, type BridgeSession, type ToolResult } from './bridge-helpers.js';

/**
 * The stdio bridge in front of the real server process (`serve --demo`): the MCP SDK client
 * starts `conduit-mcp` over stdio as a desktop host does, and the bridge relays to the server.
 */

let server: ServerProcess;
let token: string;
let direct: Client;
let configDir: string;
const open: BridgeSession[] = [];

type Page<T> = { data: T[]; next_cursor: string | null; has_more: boolean };

async function bridge(args: string[] = [], env: Record<string, string> = {}): Promise<BridgeSession> {
  const session = await connectStdio(process.execPath, [BRIDGE_CLI, '--url', server.mcpUrl, ...args], hostEnv({ CONDUIT_API_TOKEN: token, ...env }));
  open.push(session);
  return session;
}

async function thread(conversationId: string): Promise<Array<{ id: string; body: string }>> {
  const page = await callOk<Page<{ id: string; body: string }>>(direct, 'list_conversation_messages', { workspace_id: 'acme-hotels', conversation_id: conversationId, limit: 100 });
  return page.data;
}

async function someConversation(): Promise<string> {
  const page = await callOk<Page<{ id: string; channel: string }>>(direct, 'list_conversations', { workspace_id: 'acme-hotels', limit: 50 });
  return page.data.find((c) => c.channel !== 'voice')!.id;
}

beforeAll(async () => {
  // The per-workspace limiter is off here: these tests count messages, not requests.
  server = await startServer({ demo: true, args: ['--rate-limit', '0'] });
  token = server.token!;
  expect(token).toMatch(/^capi_/);
  direct = new Client({ name: 'bridge-e2e-direct', version: '1.0.0' });
  await direct.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  configDir = mkdtempSync(join(tmpdir(), 'conduit-bridge-e2e-'));
}, 180_000);

afterAll(async () => {
  await Promise.all(open.map((session) => session.close()));
  await direct?.close();
  expect(await server?.stop()).toBe(0);
  server?.cleanup();
  rmSync(configDir, { recursive: true, force: true });
});

describe('a new user', () => {
  it('logs in, then a Claude Desktop style config {"command":"npx","args":["conduit-mcp","--url",…]} works', async () => {
    const env = hostEnv({ CONDUIT_CONFIG_DIR: configDir, CONDUIT_CREDENTIAL_STORE: 'file' });
    execFileSync(process.execPath, [BRIDGE_CLI, 'login', '--url', server.mcpUrl, '--token-stdin'], { input: token, env, stdio: ['pipe', 'ignore', 'pipe'] });
    // As the host runs it: `npx conduit-mcp` resolves the installed bin (shebang, no dev-only imports).
    const session = await connectStdio('npx', ['--no-install', 'conduit-mcp', '--url', server.mcpUrl], env, E2E_DIR);
    open.push(session);
    expect(session.client.getServerVersion()?.name).toBe('conduit-mcp-server');
    const workspaces = await callOk<{ data: Array<{ slug: string }> }>(session.client, 'list_workspaces', {});
    expect(workspaces.data.map((w) => w.slug).sort()).toEqual(['acme-hotels', 'northwind-clinic']);
  });
});

describe('relaying the real catalog', () => {
  it('lists exactly what the server lists', async () => {
    const { client } = await bridge();
    expect((await client.listTools()).tools).toEqual((await direct.listTools()).tools);
  });

  it('runs the product page prompts and relays tool errors and protocol errors', async () => {
    const { client } = await bridge();
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const tickets = await callOk<Page<{ id: string }>>(client, 'list_helpdesk_tickets', { workspace_id: 'acme-hotels', status: 'open', updated_after: since });
    expect(tickets.data.length).toBeGreaterThan(0);
    const hits = await callOk<Page<{ id: string }>>(client, 'search_conversations', { workspace_id: 'acme-hotels', query: '"double charge"' });
    expect(hits.data.length).toBeGreaterThan(0);

    const forbidden = (await client.callTool({ name: 'list_contacts', arguments: { workspace_id: 'globex' } })) as ToolResult;
    expect(forbidden.isError).toBe(true);
    expect(forbidden.content[0]!.text).toMatch(/^forbidden: /);
    const invalid = (await client.callTool({ name: 'list_contacts', arguments: { workspace_id: 'acme-hotels', limit: 1000 } })) as ToolResult;
    expect(invalid.content[0]!.text).toMatch(/^invalid_argument: /);
    const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(McpError);
    expect((unknown as McpError).code).toBe(-32602);
  });

  it('answers the server\'s 403 insufficient_scope for a write with a read-only token: what happened and what to do, nothing sent', async () => {
    const readOnly = execFileSync(
      process.execPath,
      [SERVER_CLI, 'tokens', 'create', '--workspace', 'acme-hotels', '--access', 'read_only', '--name', 'bridge-e2e', '--data-dir', server.dataDir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    const { client } = await bridge([], { CONDUIT_API_TOKEN: readOnly });
    const conversation = await someConversation();
    const before = (await thread(conversation)).length;
    const refused = (await client.callTool({ name: 'send_conversation_message', arguments: { workspace_id: 'acme-hotels', conversation_id: conversation, body: 'read-only attempt' } })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toBe(
      'insufficient_scope: The server refused send_conversation_message: the credential given with CONDUIT_API_TOKEN allows reading only. ' +
        'send_conversation_message did not run, and the bridge does not send it again by itself. Use a read_write API token there to allow writes.',
    );
    expect((await thread(conversation)).length).toBe(before);
  });
});

describe('policies', () => {
  it('--read-only lists only read tools and refuses a send without sending it', async () => {
    const { client } = await bridge(['--read-only']);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(25);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.map((t) => t.name).filter((name) => /^(send|create|patch|update|delete)_/.test(name))).toEqual([]);
    const conversation = await someConversation();
    const before = (await thread(conversation)).length;
    const refused = (await client.callTool({ name: 'send_conversation_message', arguments: { workspace_id: 'acme-hotels', conversation_id: conversation, body: 'must not ship' } })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toContain('--read-only');
    expect((await thread(conversation)).length).toBe(before);
  });

  it('--workspace pins acme-hotels: calls without workspace_id work, schemas say it is optional', async () => {
    const { client } = await bridge(['--workspace', 'acme-hotels']);
    const { tools } = await client.listTools();
    const listContacts = tools.find((t) => t.name === 'list_contacts')!;
    expect(listContacts.inputSchema.required ?? []).not.toContain('workspace_id');
    const contacts = await callOk<Page<{ id: string }>>(client, 'list_contacts', { limit: 2 });
    expect(contacts.data).toHaveLength(2);
    const other = await callOk<Page<{ id: string }>>(client, 'list_contacts', { workspace_id: 'northwind-clinic', limit: 1 });
    expect(other.data[0]!.id).not.toBe(contacts.data[0]!.id);
    expect((await callOk<{ data: unknown[] }>(client, 'list_workspaces', {})).data).toHaveLength(2);
  });
});

describe('retries', () => {
  it('a send whose answer is lost on the way back is retried with the same idempotency key and delivered once', async () => {
    const proxy = await startDroppingProxy(server.mcpUrl);
    try {
      const session = await connectStdio(process.execPath, [BRIDGE_CLI, '--url', proxy.url], hostEnv({ CONDUIT_API_TOKEN: token }));
      open.push(session);
      await session.client.listTools();
      const conversation = await someConversation();
      const body = `Your refund is on its way (${Date.now()}).`;
      proxy.dropNextAnswer('send_conversation_message');
      const result = (await session.client.callTool({ name: 'send_conversation_message', arguments: { workspace_id: 'acme-hotels', conversation_id: conversation, body } })) as ToolResult;
      expect(result.isError).toBeFalsy();
      const sends = proxy.posts.filter((p) => p.tool === 'send_conversation_message');
      expect(sends).toHaveLength(2);
      expect(sends[0]!.idempotencyKey).toBeDefined();
      expect(sends[1]!.idempotencyKey).toBe(sends[0]!.idempotencyKey);
      expect(result._meta?.['conduit/idempotency']).toMatchObject({ key: sends[0]!.idempotencyKey, replayed: true });
      expect((await thread(conversation)).filter((m) => m.body === body)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('the MCP Inspector CLI in stdio mode', () => {
  it('lists tools and calls one through the bridge, which fills in the pinned workspace', async () => {
    const run = promisify(execFile);
    const node = await inspectorNode();
    const common = [INSPECTOR_LAUNCHER, '--cli', '-e', `CONDUIT_API_TOKEN=${token}`, process.execPath, BRIDGE_CLI, '--url', server.mcpUrl, '--workspace', 'acme-hotels'];
    const home = mkdtempSync(join(tmpdir(), 'conduit-inspector-home-'));
    const env = hostEnv({ HOME: home, ...INSPECTOR_ENV });
    try {
      const list = await run(node, [...common, '--method', 'tools/list'], { timeout: 60_000, env });
      expect((JSON.parse(list.stdout) as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toContain('search_knowledge_nodes');
      const search = await run(
        node,
        [...common, '--method', 'tools/call', '--tool-name', 'search_knowledge_nodes', '--tool-arg', 'query=48 hours', '--tool-arg', 'match=phrase'],
        { timeout: 60_000, env },
      );
      const result = JSON.parse(search.stdout) as ToolResult & { structuredContent: { data: unknown[] } };
      expect(result.isError).not.toBe(true);
      expect(result.structuredContent.data.length).toBeGreaterThan(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 360_000); // the first Inspector run under Node < 22.19 may fetch Node 22 (scripts/with-node.sh)
});
