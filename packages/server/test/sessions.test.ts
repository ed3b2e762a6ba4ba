import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { rawRequest } from './raw-http.js';

let t: TestStore;
let server: ConduitServer;
let token: string;
let otherToken: string;

const headers = (bearer: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${bearer}`,
  ...extra,
});
const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });

beforeAll(async () => {
  t = await createTestStore();
  const ws = await createWorkspace(t.store, 'acme');
  token = (await createApiToken(t.store, { name: 'a', access: 'read_only', workspaceIds: [ws.id], expiresAt: null })).token;
  otherToken = (await createApiToken(t.store, { name: 'b', access: 'read_only', workspaceIds: [ws.id], expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, sessions: true, logger: pino({ level: 'silent' }), delivery: false });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

describe('serve --sessions', () => {
  it('issues a session at initialize that the SDK client uses, and ends it with DELETE', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'sessions', version: '1.0.0' });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const sessionId = transport.sessionId!;
    await client.ping();
    await transport.terminateSession();
    const after = await fetch(server.mcpUrl, { method: 'POST', headers: headers(token, { 'mcp-session-id': sessionId }), body: ping });
    expect(after.status).toBe(404);
    await client.close();
  });

  it('authenticates every method first; an authenticated caller is told POST, DELETE', async () => {
    const challenge = `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/v1/mcp"`;
    for (const method of ['HEAD', 'GET', 'DELETE', 'POST', 'OPTIONS']) {
      const res = await rawRequest(server.mcpUrl, method, { 'content-type': 'application/json' }, method === 'POST' ? ping : '');
      expect(res.status, method).toBe(401);
      expect(res.headers['www-authenticate'], method).toBe(challenge);
      if (method === 'HEAD') expect(res.body).toBe('');
    }
    const auth = { authorization: `Bearer ${token}` };
    for (const method of ['HEAD', 'GET', 'PUT']) {
      const res = await rawRequest(server.mcpUrl, method, auth);
      expect(res.status, method).toBe(405);
      expect(res.headers.allow, method).toBe('POST, DELETE');
      if (method === 'HEAD') expect(res.body).toBe('');
    }
    const options = await rawRequest(server.mcpUrl, 'OPTIONS', auth);
    expect([options.status, options.headers.allow]).toEqual([204, 'POST, DELETE']);
    // DELETE is a method of this endpoint with sessions on: an unknown session is 404, not 405.
    expect((await rawRequest(server.mcpUrl, 'DELETE', { ...auth, 'mcp-session-id': 'nope' })).status).toBe(404);
  });

  it('requires the header, refuses unknown sessions with 404 and another credential\'s session too', async () => {
    const init = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: headers(token),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(sessionId).toBeTruthy();
    expect((await fetch(server.mcpUrl, { method: 'POST', headers: headers(token), body: ping })).status).toBe(400);
    expect((await fetch(server.mcpUrl, { method: 'POST', headers: headers(token, { 'mcp-session-id': 'nope' }), body: ping })).status).toBe(404);
    expect((await fetch(server.mcpUrl, { method: 'POST', headers: headers(otherToken, { 'mcp-session-id': sessionId }), body: ping })).status).toBe(404);
    expect((await fetch(server.mcpUrl, { method: 'POST', headers: headers(token, { 'mcp-session-id': sessionId }), body: ping })).status).toBe(200);
  });
});
