import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from './helpers.js';
import { readDatabaseSchema, readTypedSchema, SCHEMA_FILE, schemaDifferences, type TableShapes } from './typed-schema.js';

/**
 * store/schema.ts, the SQLite migrations and the PostgreSQL migrations describe the same tables
 * by hand. This migrates a fresh database (SQLite here; the PostgreSQL suite runs the same file
 * against a fresh PostgreSQL database) and compares what the migrations produced with the typed
 * schema the queries are checked against.
 */
describe('the typed schema (store/schema.ts) matches the migrated database', () => {
  let test: TestStore;
  let typed: TableShapes;
  let database: TableShapes;

  beforeAll(async () => {
    test = await createTestStore();
    typed = readTypedSchema();
    database = await readDatabaseSchema(test.store, new Set(typed.keys()));
  });
  afterAll(() => test?.cleanup());

  it('reads a table for every entry of interface Database, each with its columns', () => {
    expect(typed.size).toBeGreaterThan(20);
    expect(typed.get('users')?.get('password_hash')).toEqual({ nullable: true, family: 'text', generated: false });
    expect(typed.get('contacts')?.get('seq')).toEqual({ nullable: false, family: 'number', generated: true });
    expect(typed.get('contacts')?.get('last_channel')).toEqual({ nullable: true, family: 'text', generated: false });
    expect(database.get('users')?.get('password_hash')).toEqual({ nullable: true, family: 'text', generated: false });
  });

  it('has the same tables and columns, nullability and type family', () => {
    expect(schemaDifferences(typed, database, test.store.dialect)).toEqual([]);
  });

  it('names each difference when the typed schema is wrong', () => {
    const source = readFileSync(SCHEMA_FILE, 'utf8');
    const edits: Array<[string, string]> = [
      // A column the database has, dropped from the typed schema.
      ['  /** scrypt hash in `scrypt$N$r$p$salt$hash` form; null for users who cannot sign in. */\n  password_hash: string | null;\n', ''],
      // A table no migration creates.
      ['export interface Database {\n', 'export interface Database {\n  ghosts: { id: string };\n'],
      // A column no migration creates, nullability and type family that disagree.
      ['export interface WorkspacesTable {\n  id: string;\n  slug: string;\n  name: string;\n', 'export interface WorkspacesTable {\n  id: string;\n  slug: string | null;\n  name: number;\n  colour: string;\n'],
    ];
    let wrong = source;
    for (const [from, to] of edits) {
      expect(wrong.includes(from), `schema.ts no longer contains ${JSON.stringify(from)}`).toBe(true);
      wrong = wrong.replace(from, to);
    }
    // A table the database has, missing from interface Database.
    wrong = wrong.replace(/\n {2}skills: SkillsTable;/, '');
    const dialect = test.store.dialect;
    expect(schemaDifferences(readTypedSchema(wrong), database, dialect).sort()).toEqual(
      [
        `ghosts: in store/schema.ts, but the ${dialect} migrations create no such table`,
        `workspaces.slug: store/schema.ts says nullable, the ${dialect} column is NOT NULL`,
        `workspaces.name: store/schema.ts says number, the ${dialect} column is text`,
        `workspaces.colour: in store/schema.ts, but the ${dialect} table has no such column`,
        `users.password_hash: in the ${dialect} table, missing from store/schema.ts`,
        `skills: a ${dialect} table missing from store/schema.ts (interface Database)`,
      ].sort(),
    );
  });
});
