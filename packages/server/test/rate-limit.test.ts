import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createRateLimiter } from '../src/limits/token-bucket.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

let t: TestStore;

beforeAll(async () => {
  t = await createTestStore();
});
afterAll(() => t.cleanup());

describe('token bucket', () => {
  it('allows a burst of `limit`, then refills at limit/window', async () => {
    const limiter = createRateLimiter(t.store, { limit: 3, windowSeconds: 60 });
    const t0 = 1_000_000;
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await limiter.take('k1', t0));
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(burst.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(burst[3]!.retryAfter).toBe(20); // one token per 20 s
    expect((await limiter.take('k1', t0 + 19_000)).allowed).toBe(false);
    expect((await limiter.take('k1', t0 + 20_000)).allowed).toBe(true);
    expect((await limiter.take('k2', t0)).allowed).toBe(true); // keys are independent
  });

  it('never overspends under concurrent takes', async () => {
    const limiter = createRateLimiter(t.store, { limit: 10, windowSeconds: 3600 });
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.take('concurrent', 5_000_000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
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
});
