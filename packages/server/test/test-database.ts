import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/open.js';
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
 * Creates a database named for this process with a random suffix (test files run in parallel
 * processes), opens a pooled store on it with real migrations, and returns a drop function.
 */
export async function createPostgresTestStore(adminUrl: string): Promise<{ store: Store; drop(): Promise<void> }> {
  const name = `conduit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await onServer(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let store: Store;
  try {
    store = await openPostgresStore({ url: url.toString() });
  } catch (error) {
    await onServer(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    throw error;
  }
  return {
    store,
    async drop() {
      await store.close();
      await onServer(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
