import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import type { RateLimitPolicy } from '../src/limits/policy.js';
import { createRedisRateLimiter, REDIS_KEY_PREFIX } from '../src/limits/redis-bucket.js';
import { connectRedis } from '../src/limits/redis-connection.js';
import { createRateLimiter } from '../src/limits/token-bucket.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';

/**
 * The Redis backend of the per-workspace limit, against a private redis-server per file (on a
 * free loopback port, with a password, nothing persisted), stopped afterwards.
 */

const REDIS_BIN = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout?.trim() || undefined;
if (!REDIS_BIN) {
  const message = 'rate-limit-redis.test.ts: redis-server not found on PATH (apt-get install redis-server)';
  // CI installs redis-server: there, a missing install is a failure, not a reason to skip.
  if (process.env.CI) throw new Error(message);
  console.warn(`${message}; skipping the Redis rate-limit suite`);
}

const PASSWORD = 'redis-test-pw-5b1e';
const silent = pino({ level: 'silent' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface RedisServer {
  url: string;
  port: number;
  /** SIGTERM and wait for exit; start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing answers, as a hung Redis. */
  freeze(): void;
  thaw(): void;
  /** Stops it for good and removes its directory. */
  dispose(): Promise<void>;
}

async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'conduit-redis-'));
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGKILL');
  process.once('exit', kill);

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD, '--dir', dir];
    const proc = spawn(REDIS_BIN!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise((resolve) => {
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
    });
    if (proc === child) child = undefined;
  }

  await start();
  return {
    url: `redis://:${PASSWORD}@127.0.0.1:${port}`,
    port,
    start,
    stop,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    async dispose() {
      await stop();
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function eventually(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let t: TestStore;
let redisServer: RedisServer;
/** What the limiters under test use (fail-fast options). */
let redis: Redis;
/** A second connection, as another replica would have. */
let otherReplica: Redis;
/** A plain client for looking at the keys. */
let inspect: Redis;

describe.skipIf(!REDIS_BIN)('Redis rate limiter', () => {
  beforeAll(async () => {
    t = await createTestStore();
    redisServer = await startRedis();
    redis = await connectRedis(redisServer.url, silent);
    otherReplica = await connectRedis(redisServer.url, silent);
    inspect = new Redis(redisServer.url);
  });
  afterAll(async () => {
    for (const client of [redis, otherReplica, inspect]) client?.disconnect();
    await redisServer?.dispose();
    await t?.cleanup();
  });

  describe('token bucket', () => {
    it('allows a burst of `limit`, then refills at limit/window', async () => {
      const limiter = createRedisRateLimiter(redis, { limit: 3, windowSeconds: 60 });
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

    it('decides exactly as the database bucket, take for take', async () => {
      const policy: RateLimitPolicy = { limit: 4, windowSeconds: 10 };
      const onRedis = createRedisRateLimiter(redis, policy);
      const onDatabase = createRateLimiter(t.store, policy);
      // Bursts, partial refills (2.5 s is one token), waits past full, and a refill that lands on a fraction.
      const offsets = [0, 0, 0, 0, 0, 100, 1_300, 2_500, 2_600, 3_750, 3_751, 20_000, 20_001, 20_002, 20_003, 20_004, 21_000, 22_499, 22_500];
      const t0 = 7_000_000;
      const redisDecisions = [];
      const databaseDecisions = [];
      for (const offset of offsets) {
        redisDecisions.push(await onRedis.take('same-math', t0 + offset));
        databaseDecisions.push(await onDatabase.take('same-math', t0 + offset));
      }
      expect(redisDecisions).toEqual(databaseDecisions);
      // Both paths were exercised: refusals with their Retry-After, and passes.
      expect(redisDecisions.filter((d) => !d.allowed).map((d) => d.retryAfter)).toContain(3);
      expect(redisDecisions.filter((d) => d.allowed).length).toBeGreaterThan(4);
    });

    it('two limiters on one Redis (two connections, as two replicas) share one bucket', async () => {
      const policy = { limit: 3, windowSeconds: 60 };
      const a = createRedisRateLimiter(redis, policy);
      const b = createRedisRateLimiter(otherReplica, policy);
      const t0 = 2_000_000;
      const decisions = [await a.take('shared', t0), await b.take('shared', t0), await a.take('shared', t0), await b.take('shared', t0)];
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      expect((await a.take('shared', t0)).allowed).toBe(false);
    });

    it('never overspends under concurrent takes from two connections', async () => {
      const policy = { limit: 10, windowSeconds: 3600 };
      const limiters = [createRedisRateLimiter(redis, policy), createRedisRateLimiter(otherReplica, policy)];
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiters[i % 2]!.take('concurrent', 5_000_000)));
      const allowed = decisions.filter((d) => d.allowed);
      expect(allowed).toHaveLength(10);
      expect(allowed.map((d) => d.remaining).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('keeps each bucket under a prefixed key that expires once the bucket would be full again', async () => {
      const limiter = createRedisRateLimiter(redis, { limit: 2, windowSeconds: 60 });
      await limiter.take('ttl');
      const key = `${REDIS_KEY_PREFIX}ttl`;
      // One token short of full at 2 per minute: full again in 30 s.
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
      await limiter.take('ttl');
      expect(await inspect.pttl(key)).toBeGreaterThan(30_000); // two short: 60 s

      // 20 per second: one token short is full again 50 ms later, and the key is gone.
      const fast = createRedisRateLimiter(redis, { limit: 20, windowSeconds: 1 });
      await fast.take('short-lived');
      expect(await inspect.exists(`${REDIS_KEY_PREFIX}short-lived`)).toBe(1);
      await eventually(async () => (await inspect.exists(`${REDIS_KEY_PREFIX}short-lived`)) === 0, 'the idle bucket to expire');
    });
  });

  describe('on /v1/mcp', () => {
    let server: ConduitServer;
    let token: string;
    let workspaceId: string;

    beforeAll(async () => {
      const acme = await createWorkspace(t.store, 'acme');
      workspaceId = acme.id;
      token = (await createApiToken(t.store, { name: 'a', access: 'read_only', workspaceIds: [acme.id], expiresAt: null })).token;
      server = await createConduitServer({
        store: t.store,
        port: 0,
        logger: silent,
        delivery: false,
        rateLimit: { limit: 3, windowSeconds: 60 },
        redisUrl: redisServer.url,
      });
    });
    afterAll(() => server?.close());

    it('answers 429 with Retry-After and RateLimit fields, counting in Redis rather than the database', async () => {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await callTool(server, token, 'acme')).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await callTool(server, token, 'acme');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(limited.headers.get('ratelimit-policy')).toBe('"workspace";q=3;w=60');
      expect(limited.headers.get('ratelimit')).toMatch(/^"workspace";r=0;t=[1-9]\d*$/);
      expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(/^rate_limited:/);
      expect(await inspect.exists(`${REDIS_KEY_PREFIX}ws:${workspaceId}`)).toBe(1);
      expect(await t.store.db.selectFrom('rate_limit_buckets').selectAll().where('key', 'like', 'ws:%').execute()).toEqual([]);
    });

    it('is ready while Redis answers', async () => {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready' });
    });
  });

  describe('start-up', () => {
    it('refuses a URL that is not a Redis URL, naming it without its password', async () => {
      await expect(createConduitServer({ store: t.store, port: 0, logger: silent, delivery: false, redisUrl: 'http://:pw-in-http@cache:6379' })).rejects.toThrow(
        /^invalid Redis URL "http:\/\/:\*\*\*@cache:6379": unsupported scheme "http:"; expected redis:\/\//,
      );
      await expect(createConduitServer({ store: t.store, port: 0, logger: silent, delivery: false, redisUrl: 'redis://:pw@cache:6379/zero' })).rejects.toThrow(/the path must be a database number/);
      await expect(createConduitServer({ store: t.store, port: 0, logger: silent, delivery: false, redisUrl: 'not a url' })).rejects.toThrow(/^invalid Redis URL "not a url": not a URL/);
    });

    it('fails when Redis is unreachable or refuses the password, naming the URL without the password', async () => {
      const closed = await freePort();
      const unreachable = createConduitServer({ store: t.store, port: 0, logger: silent, delivery: false, redisUrl: `redis://:${PASSWORD}@127.0.0.1:${closed}` });
      await expect(unreachable).rejects.toThrow(`cannot reach Redis at redis://:***@127.0.0.1:${closed} (--redis-url / REDIS_URL): connect ECONNREFUSED`);
      const wrong = createConduitServer({ store: t.store, port: 0, logger: silent, delivery: false, redisUrl: `redis://:not-the-password@127.0.0.1:${redisServer.port}` });
      const error = await wrong.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(new RegExp(`^cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redisServer.port}/? .*WRONGPASS`));
      expect(error?.message).not.toContain('not-the-password');
    });
  });

  describe('when Redis goes down', () => {
    let server: ConduitServer;
    let token: string;
    let logs = '';

    beforeAll(async () => {
      const clinic = await createWorkspace(t.store, 'clinic');
      token = (await createApiToken(t.store, { name: 'down', access: 'read_only', workspaceIds: [clinic.id], expiresAt: null })).token;
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logs += chunk.toString()), done()) });
      server = await createConduitServer({
        store: t.store,
        port: 0,
        logger: pino({ level: 'info' }, sink),
        delivery: false,
        rateLimit: { limit: 100, windowSeconds: 60 },
        redisUrl: redisServer.url,
      });
    });
    afterAll(() => server?.close());

    it('answers 503 rate_limiter_unavailable with Retry-After 1, /readyz names redis, and both recover when it is back', async () => {
      expect((await callTool(server, token, 'clinic')).status).toBe(200);
      await redisServer.stop();

      const refused = await callTool(server, token, 'clinic');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      const body = (await refused.json()) as { id: number; error: { code: number; message: string } };
      expect(body.id).toBe(1);
      expect(body.error.message).toMatch(/^rate_limiter_unavailable: /);

      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'redis unreachable' });
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('conduit_rate_limiter_unavailable_total 1');
      expect(logs).toContain('rate limiter unavailable');
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(PASSWORD);

      await redisServer.start();
      await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, '/readyz to recover');
      expect((await callTool(server, token, 'clinic')).status).toBe(200);
    });

    it('does not wait forever on a Redis that hangs: the command times out into the same 503', async () => {
      redisServer.freeze();
      try {
        const [refused, ready] = await Promise.all([callTool(server, token, 'clinic'), fetch(`${server.url}/readyz`)]);
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^rate_limiter_unavailable: /);
        expect(ready.status).toBe(503);
        expect(logs).toContain('Command timed out');
      } finally {
        redisServer.thaw();
      }
      expect((await callTool(server, token, 'clinic')).status).toBe(200);
    });
  });
});

function callTool(server: ConduitServer, token: string, workspace: string): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_contacts', arguments: { workspace_id: workspace } } }),
  });
}
