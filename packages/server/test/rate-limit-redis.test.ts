import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useService } from '../../../scripts/test-services.mjs';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createLimiter, type RateLimitPolicy } from '../src/limits/policy.js';
import { createRedisBuckets, REDIS_KEY_PREFIX } from '../src/limits/redis-bucket.js';
import { connectRedis } from '../src/limits/redis-connection.js';
import { createDatabaseBuckets } from '../src/limits/token-bucket.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { describeBucketStore } from './bucket-store-contract.js';
import { freePort } from '../../../scripts/free-port.mjs';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { authorizeUrl, Browser, concurrentWrongPasswords, createUser, PASSWORD as USER_PASSWORD, register } from './oauth-helpers.js';

/**
 * The Redis backend of the per-workspace limit, against a private redis-server per file (on a
 * free loopback port, with a password, nothing persisted), stopped afterwards.
 */

const REDIS_BIN = useService('redis', import.meta.url).path;

const PASSWORD = 'redis-test-pw-5b1e';
const silent = pino({ level: 'silent' });

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

  describeBucketStore('redis', () => createRedisBuckets(redis), () => createRedisBuckets(otherReplica));

  describe('token bucket', () => {
    it('decides exactly as the database bucket, take for take, refund for refund', async () => {
      const policy: RateLimitPolicy = { limit: 4, windowSeconds: 10 };
      const onRedis = createLimiter(createRedisBuckets(redis), 'same-math', policy);
      const onDatabase = createLimiter(createDatabaseBuckets(t.store), 'same-math', policy);
      // Bursts, partial refills (2.5 s is one token), waits past full, a refill that lands on a
      // fraction, and refunds (negative offsets) in between.
      const offsets = [0, 0, 0, 0, 0, -100, 100, 1_300, 2_500, 2_600, -2_600, 3_750, 3_751, 20_000, 20_001, 20_002, 20_003, 20_004, -20_004, 21_000, 22_499, 22_500];
      const t0 = 7_000_000;
      const redisDecisions = [];
      const databaseDecisions = [];
      for (const offset of offsets) {
        if (offset < 0) {
          await onRedis.refund('k', t0 - offset);
          await onDatabase.refund('k', t0 - offset);
          continue;
        }
        redisDecisions.push(await onRedis.take('k', t0 + offset));
        databaseDecisions.push(await onDatabase.take('k', t0 + offset));
      }
      expect(redisDecisions).toEqual(databaseDecisions);
      // Both paths were exercised: refusals with their Retry-After, and passes.
      expect(redisDecisions.filter((d) => !d.allowed).map((d) => d.retryAfter)).toContain(3);
      expect(redisDecisions.filter((d) => d.allowed).length).toBeGreaterThan(4);
    });

    it('keeps each bucket under a prefixed key that expires once the bucket would be full again', async () => {
      const limiter = createLimiter(createRedisBuckets(redis), 'ttl', { limit: 2, windowSeconds: 60 });
      await limiter.take('a');
      const key = `${REDIS_KEY_PREFIX}ttl:a`;
      // One token short of full at 2 per minute: full again in 30 s.
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
      await limiter.take('a');
      expect(await inspect.pttl(key)).toBeGreaterThan(30_000); // two short: 60 s
      // Given back to full, the key goes.
      await limiter.refund('a');
      await limiter.refund('a');
      expect(await inspect.exists(key)).toBe(0);

      // 20 per second: one token short is full again 50 ms later, and the key is gone.
      const fast = createLimiter(createRedisBuckets(redis), 'fast', { limit: 20, windowSeconds: 1 });
      await fast.take('short-lived');
      expect(await inspect.exists(`${REDIS_KEY_PREFIX}fast:short-lived`)).toBe(1);
      await eventually(async () => (await inspect.exists(`${REDIS_KEY_PREFIX}fast:short-lived`)) === 0, 'the idle bucket to expire');
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
      expect(await inspect.exists(`${REDIS_KEY_PREFIX}workspace:${workspaceId}`)).toBe(1);
      expect(await t.store.bucketDb().selectFrom('rate_limit_buckets').selectAll().where('key', 'like', 'workspace:%').execute()).toEqual([]);
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

describe.skipIf(!REDIS_BIN)('the OAuth limits in Redis', () => {
  let t: TestStore;
  let redisServer: RedisServer;
  let inspect: Redis;
  let server: ConduitServer;

  beforeAll(async () => {
    t = await createTestStore();
    redisServer = await startRedis();
    inspect = new Redis(redisServer.url);
    inspect.on('error', () => {}); // it reconnects by itself once Redis is back
    const acme = await createWorkspace(t.store, 'acme');
    await createUser(t.store, 'ana@example.com', [acme]);
    server = await createConduitServer({
      store: t.store,
      port: 0,
      logger: silent,
      delivery: false,
      redisUrl: redisServer.url,
      oauth: {
        rateLimits: { registration: { limit: 4, windowSeconds: 3600 } },
        loginLimits: { perEmail: { limit: 3, windowSeconds: 900 }, perIp: { limit: 30, windowSeconds: 900 } },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    inspect?.disconnect();
    await redisServer?.dispose();
    await t?.cleanup();
  });

  const registration = () =>
    fetch(`${server.url}/oauth/mcp/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }),
    });

  it('counts sign-in attempts in Redis: of 20 simultaneous wrong passwords for one account, exactly the limit are checked', async () => {
    expect(await concurrentWrongPasswords(server, 20, () => 'ana@example.com')).toEqual({ 401: 3, 429: 17 });
    expect((await inspect.keys(`${REDIS_KEY_PREFIX}sign-in-account:*`)).length).toBe(1);
    expect(await t.store.bucketDb().selectFrom('rate_limit_buckets').select('key').execute()).toEqual([]);
  });

  it('counts registrations per address in Redis, with RateLimit fields naming the bucket', async () => {
    // The sign-in above registered one client.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await registration()).status);
    expect(statuses).toEqual([201, 201, 201]);
    const limited = await registration();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-policy')).toBe('"registration";q=4;w=3600');
    expect(limited.headers.get('ratelimit')).toMatch(/^"registration";r=0;t=[1-9]\d*$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await inspect.exists(`${REDIS_KEY_PREFIX}registration:127.0.0.1`)).toBe(1);
    expect(await t.store.bucketDb().selectFrom('rate_limit_buckets').select('key').execute()).toEqual([]);
  });

  it('fails closed while Redis is down: the limited OAuth endpoints and the sign-in form answer 503, and recover', async () => {
    const client = await register(server).catch(() => null); // may be over the limit already; any client will do
    await inspect.flushall();
    const fresh = client ?? (await register(server));
    const browser = new Browser(server.url);
    const start = await browser.follow(authorizeUrl(server, { client: fresh }));
    const page = await start.res.text();
    await redisServer.stop();
    try {
      const reg = await registration();
      expect(reg.status).toBe(503);
      expect(reg.headers.get('retry-after')).toBe('1');
      expect(((await reg.json()) as { error: string }).error).toBe('temporarily_unavailable');
      const signIn = await browser.submit(page, start.url, { email: 'ana@example.com', password: USER_PASSWORD });
      expect(signIn.res.status).toBe(503);
      expect(await signIn.res.text()).toContain('Sign-in is briefly unavailable');
      const auth = await fetch(authorizeUrl(server, { client: fresh }), { redirect: 'manual' });
      expect(auth.status).toBe(503);
    } finally {
      await redisServer.start();
    }
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, 'Redis to be back');
    expect((await registration()).status).toBe(201);
  });
});

function callTool(server: ConduitServer, token: string, workspace: string): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_contacts', arguments: { workspace_id: workspace } } }),
  });
}
