import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/open.js';
import type { ReadPoolOptions } from '../src/store/read-pool-options.js';
import type { Store } from '../src/store/store.js';

/**
 * When set (postgres://…), every test store is a fresh database on that server instead of a
 * SQLite file, so the same suite runs against both dialects (scripts/test-postgres.sh sets it).
 */
export const TEST_DATABASE_URL = process.env.CONDUIT_TEST_DATABASE_URL;

async function onServer<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates an empty database named for this process with a random suffix (test files run in
 * parallel processes); `drop` removes it even if connections are still open.
 */
export async function createEmptyDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `conduit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await onServer(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A pooled store on a fresh database with real migrations; `drop` closes it and drops the database. */
export async function createPostgresTestStore(adminUrl: string, readPool?: ReadPoolOptions): Promise<{ store: Store; url: string; drop(): Promise<void> }> {
  const database = await createEmptyDatabase(adminUrl);
  let store: Store;
  try {
    store = await openPostgresStore({ url: database.url, readPool });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    store,
    url: database.url,
    async drop() {
      await store.close();
      await database.drop();
    },
  };
}
