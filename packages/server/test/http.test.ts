import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, revokeApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { rawRequest } from './raw-http.js';
import { pino } from 'pino';

let t: TestStore;
let server: ConduitServer;
let readToken: string;
let writeToken: string;

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1.0' } },
};

function post(body: unknown, headers: Record<string, string> = {}, token: string | null = readToken): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A request to the MCP endpoint with a bearer token (or none), the POST carrying initialize. */
function mcpRequest(method: string, token: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return rawRequest(server.mcpUrl, method, headers, method === 'POST' ? JSON.stringify(INIT) : '');
}

beforeAll(async () => {
  t = await createTestStore();
  const acme = await createWorkspace(t.store, 'acme-hotels', 'Acme Hotels');
  await createWorkspace(t.store, 'other');
  readToken = (await createApiToken(t.store, { name: 'r', access: 'read_only', workspaceIds: [acme.id], expiresAt: null })).token;
  writeToken = (await createApiToken(t.store, { name: 'w', access: 'read_write', workspaceIds: [acme.id], expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

describe('POST /v1/mcp', () => {
  it('answers the product page curl example', async () => {
    const res = await post(INIT);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { protocolVersion: string; serverInfo: { name: string } } };
    expect(body.result.protocolVersion).toBe('2025-06-18');
    expect(body.result.serverInfo.name).toBe('conduit-mcp-server');
  });

  it('401s without a token, pointing at the resource metadata, which is served', async () => {
    const res = await post(INIT, {}, null);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toBe(`Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/v1/mcp"`);
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-protected-resource/v1/mcp`)).json()) as { resource: string };
    expect(metadata.resource).toBe(server.mcpUrl);
  });

  it('401s a revoked token on its next request and never accepts a token in the query string', async () => {
    const store = t.store;
    const acme = await store.db.selectFrom('workspaces').select('id').where('slug', '=', 'acme-hotels').executeTakeFirstOrThrow();
    const { id, token } = await createApiToken(store, { name: 'x', access: 'read_only', workspaceIds: [acme.id], expiresAt: null });
    expect((await post(INIT, {}, token)).status).toBe(200);
    await revokeApiToken(store, id);
    const res = await post(INIT, {}, token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const query = await fetch(`${server.mcpUrl}?access_token=${writeToken}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(INIT) });
    expect(query.status).toBe(401);
  });

  it('rejects foreign Origin and Host headers (DNS rebinding) with 403', async () => {
    expect((await post(INIT, { origin: 'http://evil.example' })).status).toBe(403);
    const port = new URL(server.url).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: '/v1/mcp', method: 'POST', headers: { host: `evil.example:${port}`, 'content-type': 'application/json' } }, (res) => resolve(res.statusCode ?? 0));
        req.on('error', reject);
        req.end(JSON.stringify(INIT));
      }, reject);
    });
    expect(rebound).toBe(403);
    expect((await post(INIT, { origin: server.url })).status).toBe(200);
  });

  it('answers every method without a token with 401 and the challenge, before looking at the method', async () => {
    const challenge = `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/v1/mcp"`;
    for (const method of ['HEAD', 'GET', 'DELETE', 'POST', 'PUT', 'PATCH', 'OPTIONS']) {
      const res = await mcpRequest(method, null);
      expect(res.status, method).toBe(401);
      expect(res.headers['www-authenticate'], method).toBe(challenge);
      expect(res.headers.allow, method).toBeUndefined();
      if (method === 'HEAD') expect(res.body, 'HEAD has no body').toBe('');
      else expect(JSON.parse(res.body), method).toMatchObject({ error: 'invalid_request' });
    }
    const badToken = await mcpRequest('HEAD', 'capi_not_a_real_token');
    expect(badToken.status).toBe(401);
    expect(badToken.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(badToken.body).toBe('');
  });

  it('tells an authenticated caller which methods it allows: 405 with Allow: POST', async () => {
    for (const method of ['HEAD', 'GET', 'DELETE', 'PUT', 'PATCH']) {
      const res = await mcpRequest(method, readToken);
      expect(res.status, method).toBe(405);
      expect(res.headers.allow, method).toBe('POST');
      if (method === 'HEAD') expect(res.body, 'HEAD has no body').toBe('');
      else expect(JSON.parse(res.body), method).toMatchObject({ error: 'method_not_allowed' });
    }
    const options = await mcpRequest('OPTIONS', readToken);
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('POST');
    expect((await mcpRequest('POST', readToken)).status).toBe(200);
  });

  it('validates protocol version, content type, batches, body size and methods', async () => {
    expect((await post(INIT, { 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    expect((await post(INIT, { 'mcp-protocol-version': '2025-03-26' })).status).toBe(200);
    expect((await post(INIT, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post([INIT])).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    expect((await post({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(70 * 1024) } })).status).toBe(413);
    expect((await fetch(server.mcpUrl, { headers: { authorization: `Bearer ${readToken}` } })).status).toBe(405);
    expect((await fetch(server.mcpUrl, { method: 'DELETE', headers: { authorization: `Bearer ${readToken}` } })).status).toBe(405);
    const notification = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(notification.status).toBe(202);
    const unknown = (await (await post({ jsonrpc: '2.0', id: 9, method: 'resources/list' })).json()) as { error: { code: number } };
    expect(unknown.error.code).toBe(-32601);
  });

  it('answers 413 to an oversized body sent without Content-Length, and keeps serving', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${readToken}` },
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('too large');
    expect((await post(INIT)).status).toBe(200);
  });

  it('refuses a write tool for a read-only token with 403 insufficient_scope', async () => {
    const res = await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'send_conversation_message', arguments: {} } });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="mcp:read mcp:write"');
  });

  it('serves the SDK client: tools/list with annotations, and a call with structured content', async () => {
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${readToken}` } } }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('list_workspaces');
    expect(tools.map((tool) => tool.name)).not.toContain('list_helpdesk_tickets');
    const result = await client.callTool({ name: 'list_workspaces', arguments: {} });
    expect(result.structuredContent).toEqual({ data: [expect.objectContaining({ slug: 'acme-hotels', role: 'api_token' })] });
    const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((error: Error) => error);
    expect(String(unknown)).toMatch(/Unknown tool/);
    await client.close();
  });
});
