import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

let t: TestStore;
let server: ConduitServer;
let token: string;
let logs = '';

beforeAll(async () => {
  t = await createTestStore();
  const ws = await createWorkspace(t.store, 'acme');
  token = (await createApiToken(t.store, { name: 'ops', access: 'read_write', workspaceIds: [ws.id], expiresAt: null })).token;
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logs += chunk.toString()), done()) });
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'debug' }, sink), delivery: false });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

const rpc = (body: unknown, bearer = token) =>
  fetch(server.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, 'idempotency-key': 'ops-key-1' }, body: JSON.stringify(body) });

describe('operability', () => {
  it('answers /readyz while the database is reachable', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('counts requests, tool calls and latency in Prometheus /metrics, and tags responses with a request id', async () => {
    const res = await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_workspaces', arguments: {} } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_contact', arguments: { workspace_id: 'acme', contact_id: 'ct_missing' } } });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('conduit_tool_calls_total{tool="list_workspaces",outcome="ok"} 1');
    expect(text).toContain('conduit_tool_calls_total{tool="get_contact",outcome="error"} 1');
    expect(text).toMatch(/conduit_tool_duration_seconds_count\{tool="list_workspaces"\} 1/);
    expect(text).toMatch(/conduit_http_requests_total\{route="mcp",status="200"\} \d+/);
    expect(text).toContain('conduit_outbox_pending 0');
  });

  it('never writes a token to the logs, even for rejected tokens', async () => {
    const bogus = `capi_${'z'.repeat(52)}`;
    await rpc({ jsonrpc: '2.0', id: 3, method: 'ping' }, bogus);
    await rpc({ jsonrpc: '2.0', id: 4, method: 'ping' });
    expect(logs).toContain('"request_id"');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(bogus);
    expect(logs).not.toMatch(/capi_[0-9a-z]{20,}/);
    expect(logs).not.toMatch(/authorization/i);
  });
});
