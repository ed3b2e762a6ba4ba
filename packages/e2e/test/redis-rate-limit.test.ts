import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../scripts/free-port.mjs';
import { useService } from '../../../scripts/test-services.mjs';
import { startRedisServer, type RedisServer } from '../src/redis-server.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../src/round-robin-proxy.js';
import { startServer, type ServerProcess } from '../src/server-process.js';
import { eventually, openDatabase, rawCall, type RawResponse } from './write-helpers.js';

/**
 * The per-workspace limit in Redis, across two real `serve` processes behind a round-robin proxy.
 * Each replica runs on its own copy of one SQLite database (same workspaces, same token), so the
 * only state they share is Redis: the limit holding across both can only come from there. One
 * replica gets the URL as --redis-url, the other as REDIS_URL.
 */

const REDIS_BIN = useService('redis', import.meta.url).path;

const LIMIT = 6; // per minute: one token every 10 s

interface Replica {
  process: ServerProcess;
  /** The replica's own address, bypassing the proxy. */
  url: string;
}

let redis: RedisServer;
let proxy: RoundRobinProxy;
let replicas: Replica[] = [];
let dataDirs: string[] = [];
let token: string;
let workspaceIds: Record<string, string>;

async function startReplica(dataDir: string, redisVia: 'flag' | 'env'): Promise<Replica> {
  const port = await freePort();
  const process = await startServer({
    dataDir,
    port,
    args: ['--public-url', proxy.url, '--rate-limit', String(LIMIT), ...(redisVia === 'flag' ? ['--redis-url', redis.url] : [])],
    env: redisVia === 'env' ? { REDIS_URL: redis.url } : {},
  });
  return { process, url: `http://127.0.0.1:${port}` };
}

const list = (workspace: string): Promise<RawResponse> => rawCall(`${proxy.url}/v1/mcp`, token, 'list_conversations', { workspace_id: workspace, limit: 1 });

/** Whether a server on this data directory kept any bucket in SQLite: its bucket file exists once it did. */
const hasBucketFile = (dataDir: string): boolean => existsSync(join(dataDir, 'conduit.db-limits'));

/** Starts `serve` expecting it to refuse to start; returns what it printed. */
async function failedStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-e2e-'));
  try {
    const started = await startServer({ dataDir, args, env }).then(
      async (server) => {
        await server.stop();
        return server.output();
      },
      (error: unknown) => error,
    );
    if (typeof started === 'string') throw new Error(`serve started when it should not have:\n${started}`);
    return String((started as Error).message);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe.skipIf(!REDIS_BIN)('the workspace rate limit in Redis, shared by two replicas', () => {
  beforeAll(async () => {
    redis = await startRedisServer(REDIS_BIN!);
    proxy = await startRoundRobinProxy();
    // Seed once, then give each replica its own copy of the stopped server's database.
    const seed = await startServer({ demo: true });
    await seed.stop();
    if (!seed.token) throw new Error(`serve --demo printed no token:\n${seed.output()}`);
    token = seed.token;
    // The seed kept its buckets in SQLite: without its bucket file, one appearing shows a replica did too.
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(seed.dataDir, `conduit.db-limits${suffix}`), { force: true });
    const copy = mkdtempSync(join(tmpdir(), 'conduit-e2e-'));
    cpSync(seed.dataDir, copy, { recursive: true });
    dataDirs = [seed.dataDir, copy];
    const db = openDatabase(seed.dataDir);
    workspaceIds = Object.fromEntries(db.prepare('SELECT id, slug FROM workspaces').all().map((w) => [String(w.slug), String(w.id)]));
    db.close();
    replicas = [await startReplica(dataDirs[0]!, 'flag'), await startReplica(dataDirs[1]!, 'env')];
    proxy.setUpstreams(replicas.map((r) => r.url));
  }, 180_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.process.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    await proxy?.close();
    await redis?.dispose();
  });

  it('prints where the buckets are, with the Redis password masked', () => {
    for (const replica of replicas) {
      expect(replica.process.output()).toContain(`rate limit: ${LIMIT}/min per workspace, buckets in Redis redis://:***@127.0.0.1:${redis.port}`);
      expect(replica.process.output()).not.toContain(redis.password);
    }
  });

  it(`allows ${LIMIT} requests in total across both replicas, then answers 429 on either with Retry-After and RateLimit fields`, async () => {
    const from = proxy.log.length;
    const passed: RawResponse[] = [];
    for (let i = 0; i < LIMIT; i++) passed.push(await list('acme-hotels'));
    expect(passed.map((r) => r.status)).toEqual(Array.from({ length: LIMIT }, () => 200));
    // Alternating replicas, one bucket: each request, wherever it ran, leaves one token fewer.
    expect(proxy.log.slice(from).map((e) => e.upstream)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(passed.map((r) => /r=(\d+)/.exec(r.headers.get('ratelimit') ?? '')?.[1])).toEqual(['5', '4', '3', '2', '1', '0']);

    const refused = [await list('acme-hotels'), await list('acme-hotels')];
    expect(proxy.log.slice(-2).map((e) => e.upstream)).toEqual([0, 1]);
    for (const response of refused) {
      expect(response.status).toBe(429);
      const retryAfter = response.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(10);
      expect(response.headers.get('ratelimit-policy')).toBe(`"workspace";q=${LIMIT};w=60`);
      expect(response.headers.get('ratelimit')).toBe(`"workspace";r=0;t=${retryAfter}`);
      expect(response.error?.message).toMatch(/^rate_limited:/);
    }

    // The count lives in Redis, under one key per workspace, and in neither database.
    const keys = (await redis.cli('--scan', '--pattern', 'conduit:rl:*')).trim().split('\n');
    expect(keys).toEqual([`conduit:rl:workspace:${workspaceIds['acme-hotels']}`]);
    const ttl = Number(await redis.cli('pttl', keys[0]!));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    for (const dir of dataDirs) expect(hasBucketFile(dir)).toBe(false);
  });

  it(`lets exactly ${LIMIT} of 20 simultaneous requests through, whichever replica each reaches`, async () => {
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 20 }, () => list('northwind-clinic')));
    const refill = Math.floor((Date.now() - started) / 10_000); // one token per 10 s, should the burst take that long
    expect(burst.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const passed = burst.filter((r) => r.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(LIMIT);
    expect(passed).toBeLessThanOrEqual(LIMIT + refill);
    for (const r of burst.filter((r) => r.status === 429)) expect(r.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });

  it('while Redis is down, both replicas answer 503 rate_limiter_unavailable and /readyz 503 naming redis; both recover', async () => {
    await redis.stop();
    const refused = [await list('acme-hotels'), await list('acme-hotels')];
    expect(new Set(proxy.log.slice(-2).map((e) => e.upstream))).toEqual(new Set([0, 1]));
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.error?.message).toMatch(/^rate_limiter_unavailable: /);
    }
    for (const replica of replicas) {
      const ready = await fetch(`${replica.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'redis unreachable' });
    }

    await redis.start(); // empty: every bucket starts full again
    for (const replica of replicas) {
      await eventually(async () => (await fetch(`${replica.url}/readyz`)).status === 200, 30_000, () => `${replica.url}/readyz still not ready`);
    }
    const after = [await list('acme-hotels'), await list('acme-hotels')];
    expect(after.map((r) => [r.status, r.headers.get('ratelimit')])).toEqual([
      [200, expect.stringMatching(/^"workspace";r=5;/)],
      [200, expect.stringMatching(/^"workspace";r=4;/)],
    ]);
  });
});

describe.skipIf(!REDIS_BIN)('serve --redis-url at start-up', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(REDIS_BIN!);
  });
  afterAll(() => redis?.dispose());

  it('refuses a malformed URL, and an unreachable one naming it without its password', async () => {
    expect(await failedStart(['--redis-url', 'http://cache:6379'])).toContain('error: invalid --redis-url "http://cache:6379": unsupported scheme "http:"');
    const closed = await freePort();
    const output = await failedStart([], { REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${closed}` });
    expect(output).toContain(`error: cannot reach Redis at redis://:***@127.0.0.1:${closed} (--redis-url / REDIS_URL): connect ECONNREFUSED`);
    expect(output).not.toContain('hunter2-secret');
  });

  it('takes --redis-url over REDIS_URL', async () => {
    const closed = await freePort();
    const server = await startServer({ args: ['--redis-url', redis.url], env: { REDIS_URL: `redis://127.0.0.1:${closed}` } });
    try {
      expect(server.output()).toContain(`buckets in Redis redis://:***@127.0.0.1:${redis.port}`);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
