import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createRegistry } from '../src/tools/registry.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

// Property tests on the HTTP + JSON-RPC surface: whatever arrives, the answer is a well-formed
// HTTP response with a JSON body (or an empty 202), never a 5xx, and the data is unchanged.

let t: TestStore;
let server: ConduitServer;
let token: string;

beforeAll(async () => {
  t = await createTestStore();
  const ws = await createWorkspace(t.store, 'acme-hotels');
  token = (await createApiToken(t.store, { name: 'fuzz', access: 'read_write', workspaceIds: [ws.id], expiresAt: null })).token;
  server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), maxBodyBytes: 256 * 1024, delivery: false, rateLimit: false });
});
afterAll(async () => {
  await server.close();
  await t.cleanup();
});

async function post(body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  return { status: res.status, text: await res.text() };
}

function expectWellFormed(response: { status: number; text: string }): void {
  expect(response.status).toBeLessThan(500);
  if (response.status === 202) return expect(response.text).toBe('');
  const body = JSON.parse(response.text) as Record<string, unknown>;
  expect(body.jsonrpc === '2.0' || typeof body.error === 'string').toBe(true);
  expect(response.text).not.toMatch(/at .+\.(ts|js):\d+/); // no stack traces
}

async function rowCounts(): Promise<string> {
  const tables = ['contacts', 'conversations', 'messages', 'tickets', 'knowledge_nodes', 'agents', 'skills', 'outbox', 'idempotency_keys'] as const;
  const counts = await Promise.all(tables.map((table) => t.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()));
  return JSON.stringify(counts);
}

// Hundreds of requests per property: up to 16 s measured on a busy 2-core machine, too close to
// the 30 s default on a slower one.
describe('fuzzing POST /v1/mcp', { timeout: 120_000 }, () => {
  it('answers arbitrary bytes and arbitrary JSON with a well-formed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 2000 }), fc.json({ maxDepth: 6 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v))), async (body) => {
        expectWellFormed(await post(body));
      }),
      { numRuns: 150 },
    );
  });

  it('answers deeply nested and unicode-heavy JSON-RPC requests', async () => {
    const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
    for (const name of ['list_workspaces', 'create_contact']) {
      expectWellFormed(await post(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${name}","arguments":{"workspace_id":"acme-hotels","deep":${deep},"first_name":${deep}}}}`));
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => {
        expectWellFormed(await post(JSON.stringify({ jsonrpc: '2.0', id: text, method: text, params: { name: text, arguments: { workspace_id: text, query: text } } })));
      }),
      { numRuns: 100 },
    );
  });

  it('gives every tool arbitrary arguments without a 5xx or a changed row', async () => {
    const before = await rowCounts();
    const names = createRegistry().listed.map((tool) => tool.name);
    const value = fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 5 }), fc.constant('"double charge" OR NEAR(a b) * ^ -x'), fc.constant("' OR 1=1; DROP TABLE contacts; --"));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.dictionary(fc.constantFrom('workspace_id', 'query', 'limit', 'cursor', 'contact_id', 'body', 'status', 'updated_after', 'match', 'node_ids', 'attributes', 'channel'), value),
        async (name, args) => {
          // 'nowhere' is not a granted workspace: write tools must refuse before writing anything.
          const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { ...args, workspace_id: args.workspace_id ?? 'nowhere' } } }));
          expectWellFormed(response);
        },
      ),
      { numRuns: 300 },
    );
    expect(await rowCounts()).toBe(before);
  });
});
