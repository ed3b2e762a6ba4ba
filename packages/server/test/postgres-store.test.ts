import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, nowIso } from '../src/ids.js';
import { migrateStore, openStore } from '../src/store/open.js';
import { postgresMigrations } from '../src/store/postgres/migrations.js';
import { openPostgresStore, redactUrl } from '../src/store/postgres/open.js';
import { prepared } from '../src/store/prepared.js';
import { sqliteMigrations } from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import type { Store } from '../src/store/store.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { TEST_DATABASE_URL, createEmptyDatabase } from './test-database.js';

describe('PostgreSQL connection settings', () => {
  it('never shows the password or URL parameters in the store location', () => {
    expect(redactUrl('postgres://conduit:s3cret@db.internal:5432/conduit?sslmode=require')).toBe('postgres://conduit:***@db.internal:5432/conduit');
    expect(redactUrl('postgresql://db/conduit')).toBe('postgresql://db/conduit');
    expect(redactUrl('user:secret at db')).toBe('postgres://(unparsable URL)');
  });

  it('has one PostgreSQL migration for each SQLite migration, under the same name', () => {
    expect(Object.keys(postgresMigrations)).toEqual(Object.keys(sqliteMigrations));
  });
});

/** table.column names of a store's own tables (not search indexes or the migrator's bookkeeping). */
async function columnsOf(store: Store): Promise<string[]> {
  const own = (table: string) => !/(_fts|_fts_.*)$/.test(table) && !table.startsWith('kysely_') && !table.startsWith('sqlite_');
  if (store.dialect === 'postgres') {
    const rows = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`.execute(store.db);
    return rows.rows.filter((r) => own(r.table_name)).map((r) => `${r.table_name}.${r.column_name}`).sort();
  }
  // SQLite keeps the rate-limit buckets in a file of their own (store/sqlite/bucket-file.ts).
  const columns: string[] = [];
  for (const db of [store.db, store.bucketDb()]) {
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(db);
    for (const { name } of tables.rows.filter((r) => own(r.name))) {
      const info = await sql<{ name: string }>`SELECT name FROM pragma_table_info(${name})`.execute(db);
      columns.push(...info.rows.map((c) => `${name}.${c.name}`));
    }
  }
  return columns.sort();
}

/** Names of the indexes a migration created by name (not those behind PRIMARY KEY/UNIQUE, nor search indexes). */
async function indexesOf(store: Store): Promise<string[]> {
  const rows =
    store.dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()`.execute(store.db)
      : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index'`.execute(store.db);
  return rows.rows
    .map((r) => r.name)
    .filter((name) => !/(_pkey|_key|_fts_tsv)$/.test(name) && !name.startsWith('sqlite_autoindex') && !name.startsWith('kysely_'))
    .sort();
}

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL store', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
  });
  afterAll(() => t.cleanup());

  it('has the same tables, columns and named indexes as the SQLite store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conduit-sqlite-'));
    const sqlite = await openSqliteStore({ file: join(dir, 'conduit.db') });
    try {
      const columns = await columnsOf(sqlite);
      expect(columns).toContain('rate_limit_buckets.updated_ms');
      expect(await columnsOf(t.store)).toEqual(columns);
      const indexes = await indexesOf(sqlite);
      expect(indexes).toContain('contacts_email');
      expect(await indexesOf(t.store)).toEqual(indexes);
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns identity keys, counts and sums as numbers, as SQLite does', async () => {
    const ws = await createWorkspace(t.store, 'numbers');
    const now = nowIso();
    for (const code of ['A1', 'A2']) {
      await t.store.db
        .insertInto('reservations')
        .values({ id: newId('rs'), workspace_id: ws.id, contact_id: null, confirmation_code: code, property: 'Main', room_type: 'double', check_in: '2026-01-01', check_out: '2026-01-02', guests: 2, status: 'confirmed', total_amount_minor: 3_000_000_000, currency: 'EUR', created_at: now, updated_at: now })
        .execute();
    }
    const row = await t.store.db
      .selectFrom('reservations')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('total_amount_minor').as('total'), eb.fn.max('seq').as('last')])
      .where('workspace_id', '=', ws.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ n: 2, total: 6_000_000_000, last: expect.any(Number) });
  });

  it('is chosen by a postgres:// URL, and replicas starting together migrate it once', async () => {
    const database = await createEmptyDatabase(TEST_DATABASE_URL!);
    const stores: Store[] = [];
    try {
      stores.push(...(await Promise.all([1, 2, 3].map(() => openStore({ database: database.url, poolMax: 2 })))));
      expect(stores.map((s) => s.dialect)).toEqual(['postgres', 'postgres', 'postgres']);
      expect(await migrateStore(stores[0]!)).toEqual([]);
      const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(stores[0]!.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(postgresMigrations));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await database.drop();
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL without named statements (a pooler in transaction mode)', () => {
  it('prepares nothing on the server, and prepared queries still work', async () => {
    const database = await createEmptyDatabase(TEST_DATABASE_URL!);
    const store = await openPostgresStore({ url: database.url, namedStatements: false });
    try {
      const workspace = await createWorkspace(store, 'unnamed');
      const bySlug = prepared((db, v: { slug: string }) => db.selectFrom('workspaces').select('id as unnamed_probe').where('slug', '=', v.slug));
      const statements = await store.db.transaction().execute(async (trx) => {
        expect((await bySlug(trx, { slug: 'unnamed' })).rows).toEqual([{ unnamed_probe: workspace.id }]);
        return (await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(trx)).rows;
      });
      expect(statements).toEqual([]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
