import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION as SDK_LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

let t: TestStore;
let server: ConduitServer;
let tokenA: string;
let tokenB: string;

function initialize(protocolVersion: string, token = tokenA) {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'curl', version: '1' } } }),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as { result: Record<string, unknown> } }));
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'protocol-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

beforeAll(async () => {
  t = await createTestStore();
  const a = await createWorkspace(t.store, 'acme-hotels', 'Acme Hotels');
  const b = await createWorkspace(t.store, 'acme-bistro', 'Acme Bistro');
  tokenA = (await createApiToken(t.store, { name: 'a', access: 'read_only', workspaceIds: [a.id], expiresAt: null })).token;
  tokenB = (await createApiToken(t.store, { name: 'b', access: 'read_only', workspaceIds: [b.id], expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

describe('protocol versions', () => {
  it('answers 2025-11-25, 2025-06-18 and 2025-03-26 clients with their own version, anything else with 2025-11-25', async () => {
    for (const version of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      expect((await initialize(version)).body.result.protocolVersion, version).toBe(version);
    }
    for (const version of ['2026-07-28', '2024-11-05', 'draft']) {
      expect((await initialize(version)).body.result.protocolVersion, version).toBe('2025-11-25');
    }
  });

  it('declares tools, prompts and completions, and describes itself (2025-11-25 serverInfo)', async () => {
    const { result } = (await initialize('2025-11-25')).body;
    expect(result.capabilities).toEqual({ tools: { listChanged: false }, prompts: { listChanged: false }, completions: {} });
    expect(result.serverInfo).toMatchObject({ name: 'conduit-mcp-server', title: 'Conduit', description: expect.stringMatching(/^Support data over MCP/) as string });
  });

  it('is what the SDK client negotiates: its latest version', async () => {
    const client = await connect(tokenA);
    expect(SDK_LATEST_PROTOCOL_VERSION).toBe('2025-11-25');
    const transport = (client as unknown as { _transport: StreamableHTTPClientTransport })._transport;
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(client.getServerCapabilities()).toMatchObject({ prompts: {}, completions: {} });
    await client.close();
  });
});

describe('prompts and completions from the SDK client', () => {
  it('lists prompts, gets one with arguments, completes arguments', async () => {
    const client = await connect(tokenA);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['use_workspace', 'triage_tickets', 'find_conversations', 'draft_reply', 'find_knowledge_mentions']);
    const got = await client.getPrompt({ name: 'find_knowledge_mentions', arguments: { workspace: 'acme-hotels', phrase: '48 hours' } });
    expect(got.messages[0]?.content).toMatchObject({ type: 'text', text: expect.stringContaining('mentions "48 hours"') as string });
    const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'triage_tickets' }, argument: { name: 'window', value: '7' } });
    expect(completed.completion).toEqual({ values: ['7d'], total: 1, hasMore: false });
    await client.close();
  });

  it('a token for workspace A is offered A and never B, and cannot get a prompt for B', async () => {
    const clientA = await connect(tokenA);
    const clientB = await connect(tokenB);
    const offered = async (client: Client, value: string) =>
      (await client.complete({ ref: { type: 'ref/prompt', name: 'use_workspace' }, argument: { name: 'workspace', value } })).completion.values;
    expect(await offered(clientA, '')).toEqual(['acme-hotels']);
    expect(await offered(clientA, 'acme')).toEqual(['acme-hotels']);
    expect(await offered(clientA, 'acme-b')).toEqual([]);
    expect(await offered(clientB, 'acme')).toEqual(['acme-bistro']);
    const refused = await clientA.getPrompt({ name: 'use_workspace', arguments: { workspace: 'acme-bistro' } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: -32602, message: expect.stringContaining('"acme-bistro" is not a workspace this credential can use; it can use: acme-hotels') as string });
    await clientA.close();
    await clientB.close();
  });

  it('answers JSON-RPC -32602 for an unknown prompt or a missing argument', async () => {
    const client = await connect(tokenA);
    await expect(client.getPrompt({ name: 'nope' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Unknown prompt: nope') as string });
    await expect(client.getPrompt({ name: 'triage_tickets', arguments: {} })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('Missing required argument "workspace" of prompt triage_tickets') as string,
    });
    await expect(client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'a', value: '' } })).rejects.toMatchObject({ code: -32602 });
    await client.close();
  });
});
