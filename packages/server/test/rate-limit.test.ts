import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createLimiter } from '../src/limits/policy.js';
import { createDatabaseBuckets, pruneIdleBuckets } from '../src/limits/token-bucket.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { describeBucketStore } from './bucket-store-contract.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

let t: TestStore;

beforeAll(async () => {
  t = await createTestStore();
});
afterAll(() => t.cleanup());

describeBucketStore('database', () => createDatabaseBuckets(t.store));

describe('database buckets', () => {
  it('forgets buckets idle for longer than any window', async () => {
    const buckets = createDatabaseBuckets(t.store);
    const limiter = createLimiter(buckets, 'prune', { limit: 2, windowSeconds: 60 });
    const now = Date.now();
    await limiter.take('old', now - 25 * 3600 * 1000);
    await limiter.take('recent', now - 3600 * 1000);
    await pruneIdleBuckets(t.store.bucketDb(), now);
    const keys = (await t.store.bucketDb().selectFrom('rate_limit_buckets').select('key').where('key', 'like', 'prune:%').execute()).map((r) => r.key);
    expect(keys).toEqual(['prune:recent']);
  });
});

describe('per-workspace limit on /v1/mcp', () => {
  let server: ConduitServer;
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    const acme = await createWorkspace(t.store, 'acme');
    const other = await createWorkspace(t.store, 'other');
    tokenA = (await createApiToken(t.store, { name: 'a', access: 'read_only', workspaceIds: [acme.id, other.id], expiresAt: null })).token;
    tokenB = (await createApiToken(t.store, { name: 'b', access: 'read_only', workspaceIds: [acme.id], expiresAt: null })).token;
    server = await createConduitServer({ store: t.store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: { limit: 5, windowSeconds: 60 } });
  });
  afterAll(() => server.close());

  const call = (token: string, workspace: string) =>
    fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_contacts', arguments: { workspace_id: workspace } } }),
    });

  it('shares one bucket per workspace across tokens, answers 429 with Retry-After and RateLimit fields', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(tokenA, 'acme')).status);
    for (let i = 0; i < 2; i++) statuses.push((await call(tokenB, 'acme')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await call(tokenB, 'acme');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-policy')).toBe('"workspace";q=5;w=60');
    expect(limited.headers.get('ratelimit')).toMatch(/^"workspace";r=0;t=\d+$/);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(/^rate_limited:/);
    const elsewhere = await call(tokenA, 'other');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get('ratelimit')).toBe('"workspace";r=4;t=12');
  });

  it('names the bucket it really used: a request that names no workspace draws from the credential\'s own', async () => {
    const list = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
    expect(list.headers.get('ratelimit-policy')).toBe('"credential";q=5;w=60');
    expect(list.headers.get('ratelimit')).toBe('"credential";r=4;t=12');
    // A workspace the token may not use is no workspace bucket either.
    const foreign = await call(tokenB, 'other');
    expect(foreign.headers.get('ratelimit-policy')).toBe('"credential";q=5;w=60');
  });
});
