import { request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { seedDemo } from '../src/demo/seed.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { openPostgresStore } from '../src/store/postgres/open.js';
import { PostgresSearch } from '../src/store/postgres/search.js';
import { validReadPool } from '../src/store/read-pool-options.js';
import { parseSearchQuery, type ConversationSearch, type SearchBackend } from '../src/store/search.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { ReadPool } from '../src/store/sqlite/read-pool.js';
import { SqliteSearch } from '../src/store/sqlite/search.js';
import { createTestStore, testReadPool, type TestStore } from './helpers.js';
import { TEST_DATABASE_URL } from './test-database.js';

// Searches through the read pool (SQLite: worker threads with their own connections;
// PostgreSQL: at most N at a time) give exactly the answers a search on the server's own
// connection gives, and a search whose client went away does not keep a worker.

const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;

let t: TestStore;
let acme: string;
let direct: SearchBackend;

beforeAll(async () => {
  t = await createTestStore();
  const demo = await seedDemo(t.store, { now: NOW });
  acme = demo.workspaces.find((w) => w.slug === 'acme-hotels')!.id;
  direct = t.store.dialect === 'postgres' ? new PostgresSearch(t.store.db) : new SqliteSearch(t.store.db);
}, 120_000);

afterAll(() => t.cleanup());

const conversationSearch = (text: string, extra: Partial<ConversationSearch> = {}): ConversationSearch => ({
  workspaceId: acme,
  query: parseSearchQuery(text),
  created: {},
  limit: 25,
  ...extra,
});

describe(`read pool (${TEST_DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  it('answers every kind of search as a search on the server\'s own connection does', async () => {
    expect(t.store.readPoolStats()?.slots).toBe(testReadPool(t.store.dialect).size);
    const lastWeek = { after: new Date(NOW.getTime() - 7 * DAY).toISOString() };
    // The store's engine (the search cache in front of the pool) against the backend on the
    // server's own connection; nothing is cached yet for these queries.
    for (const p of [
      conversationSearch('"double charge"'),
      conversationSearch('"double charge"', { created: lastWeek }),
      conversationSearch('refund', { channel: 'email', status: 'closed' }),
      conversationSearch('the'),
      conversationSearch('zebra unicorn'),
    ]) {
      const pooled = await t.store.search.conversations(p);
      expect(pooled).toEqual(await direct.rankConversations(p));
      const ids = pooled.ranked.slice(0, 5).map((r) => r.id);
      const hits = { workspaceId: acme, query: p.query, created: p.created, perParent: 3, conversationIds: ids };
      expect(await t.store.search.conversationHits(hits)).toEqual(await direct.findConversationHits(hits));
    }
    const tickets = { workspaceId: acme, query: parseSearchQuery('refund'), updated: {}, limit: 20 };
    const ranked = await t.store.search.tickets(tickets);
    expect(ranked).toEqual(await direct.tickets(tickets));
    const ticketHits = { workspaceId: acme, query: tickets.query, ticketIds: ranked.map((r) => r.id), perParent: 2 };
    expect(await t.store.search.ticketHits(ticketHits)).toEqual(await direct.ticketHits(ticketHits));
    const chunks = { workspaceId: acme, query: parseSearchQuery('cancel booking refund'), maxResults: 5 };
    expect(await t.store.search.knowledgeChunks(chunks)).toEqual(await direct.knowledgeChunks(chunks));
    const nodes = { workspaceId: acme, query: parseSearchQuery('"48 hours"'), limit: 10 };
    expect(await t.store.search.knowledgeNodes(nodes)).toEqual(await direct.knowledgeNodes(nodes));
    expect(t.store.readPoolStats()).toMatchObject({ running: 0, waiting: 0, dropped: 0, stopped: 0 });
  });

  it('keeps a search waiting for a worker out of it once its client went away', async () => {
    // Searches from one workspace fill the pool, and one more waits.
    const size = t.store.readPoolStats()!.slots;
    const before = t.store.readPoolStats()!;
    const busy = Array.from({ length: size }, (_, i) => t.store.search.conversations(conversationSearch('the', { created: { before: new Date(NOW.getTime() - i).toISOString() } })));
    const controller = new AbortController();
    const waiting = t.store.search.conversations(conversationSearch('the', { created: { after: '2020-01-01T00:00:00.000Z' } }), { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
    await Promise.all(busy);
    expect(t.store.readPoolStats()).toMatchObject({ dropped: before.dropped + 1, completed: before.completed + size });
  });

  it('stops a search under way once its client went away, and the worker serves the next one', async () => {
    const before = t.store.readPoolStats()!;
    const controller = new AbortController();
    const search = t.store.search.conversations(conversationSearch('the', { created: { after: '2021-01-01T00:00:00.000Z' } }), { signal: controller.signal });
    // Once it holds its slot (a worker, or a connection), the abort reaches it between its steps.
    while (t.store.readPoolStats()!.running === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(search).rejects.toThrow(/abort/i);
    expect(t.store.readPoolStats()).toMatchObject({ stopped: before.stopped + 1, dropped: before.dropped });
    expect((await t.store.search.conversations(conversationSearch('"double charge"'))).ranked.length).toBeGreaterThan(0);
  });

  it('refuses settings it cannot honour', async () => {
    expect(() => validReadPool({ size: -1 })).toThrow(/whole number ≥ 0/);
    expect(() => validReadPool({ size: 1.5 })).toThrow(/whole number ≥ 0/);
    expect(() => validReadPool({ size: 2, perWorkspace: 3 })).toThrow(/from 1 to the pool size \(2\)/);
    expect(() => validReadPool({ size: 0, perWorkspace: 1 })).toThrow(/needs a read pool/);
    await expect(openSqliteStore({ file: ':memory:', readPool: { size: 1 } })).rejects.toThrow(/in-memory SQLite database cannot have a read pool/);
    // Searches holding every pooled connection would starve everything else (refused before connecting).
    await expect(openPostgresStore({ url: 'postgres://nobody@127.0.0.1:1/none', poolMax: 4, readPool: { size: 4 } })).rejects.toThrow(/read pool size 4 must be below the PostgreSQL pool size 4/);
    await expect(ReadPool.start({ file: join(t.dir, 'missing.db'), size: 1, cacheSizeKb: 1024 })).rejects.toThrow(/could not start the SQLite read pool/);
  });
});

describe('a client that goes away mid-search over HTTP', () => {
  let server: ConduitServer;
  let token: string;

  beforeAll(async () => {
    server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: false });
    token = (await createApiToken(t.store, { name: 'pool', access: 'read_only', workspaceIds: [acme], expiresAt: null })).token;
  });
  afterAll(() => server.close());

  /** Sends a search over its own connection and closes the connection as soon as it is written. */
  const abandon = (i: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'search_conversations', arguments: { workspace_id: 'acme-hotels', query: 'the', created_before: new Date(NOW.getTime() - 1000 * i).toISOString() } } });
      const req = request(server.mcpUrl, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` } });
      req.on('error', () => resolve());
      req.end(body, () => {
        req.destroy();
        resolve();
      });
    });

  it('frees the pool for the next client: its search is dropped or stopped, not run to the end', async () => {
    const before = t.store.readPoolStats()!;
    await Promise.all(Array.from({ length: 24 }, (_, i) => abandon(i + 1)));
    // The server notices each closed connection; wait until every abandoned search is accounted for.
    for (let i = 0; i < 200; i++) {
      const now = t.store.readPoolStats()!;
      if (now.running === 0 && now.waiting === 0 && now.completed + now.dropped >= before.completed + before.dropped + 24) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const after = t.store.readPoolStats()!;
    expect(after.dropped + after.stopped).toBeGreaterThan(before.dropped + before.stopped);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/conduit_tool_calls_total\{tool="search_conversations",outcome="client_gone"\} [1-9]/);
    expect(metrics).toMatch(/conduit_read_pool_dropped_total \d+/);
    // The next client gets its answer.
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'search_conversations', arguments: { workspace_id: 'acme-hotels', query: '"double charge"' } } }),
    });
    const json = (await res.json()) as { result: { structuredContent: { data: unknown[] } } };
    expect(json.result.structuredContent.data.length).toBeGreaterThan(0);
  });
});
