import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/api-tokens.js';
import { createLimiter } from '../src/limits/policy.js';
import { createDatabaseBuckets } from '../src/limits/token-bucket.js';
import { createConduitServer, type ConduitServer } from '../src/server.js';
import { openSqliteStore, SERVE_BUSY_TIMEOUT_MS } from '../src/store/sqlite/open.js';
import type { Store } from '../src/store/store.js';
import { createWorkspace } from './helpers.js';
import { TEST_DATABASE_URL } from './test-database.js';

/** The rate-limit buckets of a SQLite database, in their file beside it (store/sqlite/bucket-file.ts). */
describe.skipIf(TEST_DATABASE_URL)('SQLite bucket file', () => {
  let dir: string;
  let file: string;
  const stores: Store[] = [];
  const open = async () => {
    const store = await openSqliteStore({ file });
    stores.push(store);
    return store;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-buckets-'));
    file = join(dir, 'conduit.db');
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is created only when a limit is kept, private, beside a database that no longer has the table', async () => {
    const store = await open();
    expect(existsSync(`${file}-limits`)).toBe(false);
    await createLimiter(createDatabaseBuckets(store), 'file', { limit: 2, windowSeconds: 60 }).take('a');
    expect(statSync(`${file}-limits`).mode & 0o777).toBe(0o600);
    const database = new Sqlite(file, { readonly: true });
    try {
      expect(database.prepare("SELECT name FROM sqlite_master WHERE name = 'rate_limit_buckets'").all()).toEqual([]);
    } finally {
      database.close();
    }
  });

  it('is shared by every process on the database: two stores draw from one bucket', async () => {
    const policy = { limit: 3, windowSeconds: 60 };
    const [first, second] = [await open(), await open()].map((store) => createLimiter(createDatabaseBuckets(store), 'shared', policy));
    const allowed = [];
    for (let i = 0; i < 3; i++) for (const limiter of [first!, second!]) allowed.push((await limiter.take('w')).allowed);
    expect(allowed).toEqual([true, true, true, false, false, false]);
  });

  it('refuses a file written by a newer version, naming it and what to do', async () => {
    const newer = join(dir, 'newer.db');
    const limits = new Sqlite(`${newer}-limits`);
    limits.pragma('user_version = 2');
    limits.close();
    const store = await openSqliteStore({ file: newer });
    stores.push(store);
    expect(() => store.bucketDb()).toThrow(`${newer}-limits was written by a newer version of the server (layout 2, this one knows 1)`);
  });
});

describe.skipIf(TEST_DATABASE_URL)('rate-limited requests on SQLite', () => {
  let dir: string;
  let store: Store;
  let server: ConduitServer;
  let token: string;
  let unused: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-buckets-'));
    store = await openSqliteStore({ file: join(dir, 'conduit.db'), busyTimeoutMs: SERVE_BUSY_TIMEOUT_MS });
    const acme = await createWorkspace(store, 'acme');
    token = (await createApiToken(store, { name: 'reader', access: 'read_only', workspaceIds: [acme.id], expiresAt: null })).token;
    unused = (await createApiToken(store, { name: 'unused', access: 'read_only', workspaceIds: [acme.id], expiresAt: null })).token;
    server = await createConduitServer({ store, port: 0, logger: pino({ level: 'silent' }), delivery: false, rateLimit: { limit: 1000, windowSeconds: 60 } });
  });
  afterAll(async () => {
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (bearer = token) =>
    fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_contacts', arguments: { workspace_id: 'acme' } } }),
    });

  // A commit to the database file makes every other connection on it (the read pool's) drop its
  // page cache; reads must not cost the searches beside them their cache.
  it('leave the database file unchanged: each takes its token in the bucket file', async () => {
    expect((await call()).status).toBe(200); // the token's first use records last_used_at
    const watcher = new Sqlite(join(dir, 'conduit.db'), { readonly: true });
    try {
      const version = () => watcher.pragma('data_version', { simple: true });
      const before = version();
      for (let i = 0; i < 5; i++) {
        const response = await call();
        expect(response.status).toBe(200);
        expect(response.headers.get('ratelimit')).toMatch(/^"workspace";r=99\d;/);
      }
      expect(version()).toBe(before);
    } finally {
      watcher.close();
    }
  });

  it('are answered while another process holds the database\'s write lock, and leave a token\'s first use to be recorded later', async () => {
    const holder = new Sqlite(join(dir, 'conduit.db'));
    const lastUsed = () => store.db.selectFrom('api_tokens').select('last_used_at').where('name', '=', 'unused').executeTakeFirstOrThrow();
    holder.prepare('BEGIN EXCLUSIVE').run();
    try {
      expect((await call(unused)).status).toBe(200);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    expect((await lastUsed()).last_used_at).toBeNull();
    expect((await call(unused)).status).toBe(200);
    expect((await lastUsed()).last_used_at).not.toBeNull();
  });
});
