import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../src/store/prepared.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { TEST_DATABASE_URL } from './test-database.js';

let t: TestStore;
let acme: { id: string };
let other: { id: string };

beforeAll(async () => {
  t = await createTestStore();
  acme = await createWorkspace(t.store, 'acme-hotels', 'Acme Hotels');
  other = await createWorkspace(t.store, 'northwind', 'Northwind');
});
afterAll(() => t.cleanup());

describe('prepared queries', () => {
  it('builds once and binds each call its own values, also inside a transaction', async () => {
    let builds = 0;
    const bySlug = prepared((db, v: { slug: string }) => {
      builds += 1;
      return db.selectFrom('workspaces').select(['id', 'name']).where('slug', '=', v.slug);
    });
    expect((await bySlug(t.store.db, { slug: 'acme-hotels' })).rows).toEqual([{ id: acme.id, name: 'Acme Hotels' }]);
    expect((await bySlug(t.store.db, { slug: 'northwind' })).rows).toEqual([{ id: other.id, name: 'Northwind' }]);
    expect((await bySlug(t.store.db, { slug: 'nobody' })).rows).toEqual([]);
    const inTransaction = await t.store.db.transaction().execute(async (trx) => (await bySlug(trx, { slug: 'northwind' })).rows);
    expect(inTransaction).toEqual([{ id: other.id, name: 'Northwind' }]);
    expect(builds).toBe(1);
  });

  it('keeps constants of the query and substitutes values used twice', async () => {
    const named = prepared((db, v: { slug: string }) =>
      db
        .selectFrom('workspaces')
        .select('id')
        .where((eb) => eb.or([eb('slug', '=', v.slug), eb('id', '=', v.slug)]))
        .where('name', '!=', 'never a name'),
    );
    expect((await named(t.store.db, { slug: 'northwind' })).rows).toEqual([{ id: other.id }]);
    expect((await named(t.store.db, { slug: acme.id })).rows).toEqual([{ id: acme.id }]);
  });

  it('refuses a value that does not reach the SQL as a bound parameter', async () => {
    const inlined = prepared((db, v: { name: string }) => db.selectFrom('workspaces').select('id').where(sql.raw<boolean>(`name = '${v.name}'`)));
    await expect(inlined(t.store.db, { name: 'x' })).rejects.toThrow(/value "name" is not a bound parameter/);
  });

  it('refuses to select *, on every dialect', async () => {
    const star = prepared((db, v: { slug: string }) => db.selectFrom('workspaces').selectAll().where('slug', '=', v.slug));
    await expect(star(t.store.db, { slug: 'acme-hotels' })).rejects.toThrow(/list the selected columns instead of \*/);
    const tableStar = prepared((db, v: { slug: string }) => db.selectFrom('workspaces as w').selectAll('w').where('w.slug', '=', v.slug));
    await expect(tableStar(t.store.db, { slug: 'acme-hotels' })).rejects.toThrow(/list the selected columns instead of \*/);
    const counted = prepared((db, v: { slug: string }) => db.selectFrom('workspaces').select((eb) => eb.fn.countAll<number>().as('n')).where('slug', '=', v.slug));
    expect(Number((await counted(t.store.db, { slug: 'acme-hotels' })).rows[0]?.n)).toBe(1);
  });

  it.skipIf(!TEST_DATABASE_URL)('runs as a statement PostgreSQL prepared once on the connection, and only such queries', async () => {
    const bySlug = prepared((db, v: { slug: string }) => db.selectFrom('workspaces').select('id as prepared_probe').where('slug', '=', v.slug));
    // One transaction holds one connection: the statement list below is that connection's.
    const statements = await t.store.db.transaction().execute(async (trx) => {
      expect((await bySlug(trx, { slug: 'acme-hotels' })).rows).toEqual([{ prepared_probe: acme.id }]);
      expect((await bySlug(trx, { slug: 'northwind' })).rows).toEqual([{ prepared_probe: other.id }]);
      await trx.selectFrom('workspaces').select('slug as adhoc_probe').where('id', '=', acme.id).execute();
      return (await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(trx)).rows;
    });
    const probes = statements.filter((row) => row.statement.includes('prepared_probe'));
    expect(probes).toHaveLength(1);
    expect(probes[0]!.name).toMatch(/^conduit_\d+$/);
    expect(statements.filter((row) => row.statement.includes('adhoc_probe'))).toEqual([]);
  });
});
