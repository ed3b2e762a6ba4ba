import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type QueryExecutorProvider } from 'kysely';
import ts from 'typescript';
import type { Store } from '../src/store/store.js';

/**
 * What the schema test compares: each table's columns with whether they take null, the family
 * of their type and whether the database fills them in on insert. Read once from the Kysely
 * typed schema (store/schema.ts, through the TypeScript checker, so aliases such as `Channel` or
 * `Flag` resolve to what they mean) and once from a migrated database's catalog.
 */
export type TypeFamily = 'text' | 'number' | `other: ${string}`;

export interface ColumnShape {
  nullable: boolean;
  family: TypeFamily;
  /** Typed `Generated<…>` (store/schema.ts), or filled in by the database (identity, rowid, default). */
  generated: boolean;
}

export type TableShapes = Map<string, Map<string, ColumnShape>>;

const serverRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = join(serverRoot, 'src', 'store', 'schema.ts');

/** The project's compiler options, so the schema is read as `tsc` reads it (strict: `| null` survives). */
function compilerOptions(): ts.CompilerOptions {
  const configFile = join(serverRoot, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, serverRoot);
  return { ...parsed.options, noEmit: true };
}

/**
 * The tables of `interface Database` in store/schema.ts. `source` replaces the file's text
 * (the test proves the comparison catches a wrong schema without touching the file).
 */
export function readTypedSchema(source = readFileSync(SCHEMA_FILE, 'utf8')): TableShapes {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    resolve(fileName) === SCHEMA_FILE ? ts.createSourceFile(fileName, source, languageVersion, true) : readSourceFile(fileName, languageVersion, ...rest);
  const program = ts.createProgram([SCHEMA_FILE], options, host);
  const file = program.getSourceFile(SCHEMA_FILE);
  if (!file) throw new Error(`cannot read ${SCHEMA_FILE}`);
  // An unresolved import (kysely's Generated) would read as `any` and pass for anything.
  const problems = ts.getPreEmitDiagnostics(program, file);
  if (problems.length > 0) {
    throw new Error(`store/schema.ts does not compile: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`);
  }
  const checker = program.getTypeChecker();
  const database = file.statements.find((node): node is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(node) && node.name.text === 'Database');
  if (!database) throw new Error('store/schema.ts has no interface Database');

  const tables: TableShapes = new Map();
  for (const table of checker.getPropertiesOfType(checker.getTypeAtLocation(database.name))) {
    const columns = new Map<string, ColumnShape>();
    for (const column of checker.getPropertiesOfType(checker.getTypeOfSymbol(table))) {
      columns.set(column.name, columnShape(checker, checker.getTypeOfSymbol(column)));
    }
    tables.set(table.name, columns);
  }
  return tables;
}

function parts(type: ts.Type): ts.Type[] {
  return type.isUnion() ? type.types : [type];
}

function columnShape(checker: ts.TypeChecker, declared: ts.Type): ColumnShape {
  // Kysely's ColumnType<Select, Insert, Update> (Generated<T> among them): the row holds Select;
  // the database fills the column in when Insert may be left out.
  const select = checker.getPropertyOfType(declared, '__select__');
  const insert = checker.getPropertyOfType(declared, '__insert__');
  const type = select ? checker.getTypeOfSymbol(select) : declared;
  const generated = insert !== undefined && parts(checker.getTypeOfSymbol(insert)).some((t) => (t.flags & ts.TypeFlags.Undefined) !== 0);
  const values = parts(type).filter((t) => (t.flags & ts.TypeFlags.Null) === 0);
  const nullable = values.length < parts(type).length;
  let family: TypeFamily = `other: ${checker.typeToString(type)}`;
  if (values.length > 0 && values.every((t) => (t.flags & ts.TypeFlags.StringLike) !== 0)) family = 'text';
  else if (values.length > 0 && values.every((t) => (t.flags & ts.TypeFlags.NumberLike) !== 0)) family = 'number';
  return { nullable, family, generated };
}

/** Kysely's migrator keeps its own bookkeeping tables next to ours. */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * The tables and columns a migrated database holds, from its catalog. Left out, because queries
 * never reach them through the typed schema: the migrator's tables, and the full-text index,
 * which only the search engines read through their own SQL (store/sqlite/search.ts,
 * store/postgres/search.ts) — on SQLite the FTS5 virtual tables and the shadow tables FTS5 keeps
 * for them, on PostgreSQL the `<table>_fts` side tables. An index table is only left out when it
 * is named for a table of the typed schema, so a stray `*_fts` table is still reported.
 */
export async function readDatabaseSchema(store: Store, typedTables: ReadonlySet<string>): Promise<TableShapes> {
  const isIndexOf = (name: string) => name.endsWith('_fts') && typedTables.has(name.slice(0, -'_fts'.length));
  return store.dialect === 'postgres' ? readPostgres(store, isIndexOf) : readSqlite(store, isIndexOf);
}

/** The database's tables and those of its rate-limit bucket file (store/sqlite/bucket-file.ts). */
async function readSqlite(store: Store, isIndex: (name: string) => boolean): Promise<TableShapes> {
  const tables = await readSqliteFile(store.db, isIndex);
  for (const [name, columns] of await readSqliteFile(store.bucketDb(), isIndex)) {
    if (tables.has(name)) throw new Error(`${name} is both in the SQLite database and in its bucket file`);
    tables.set(name, columns);
  }
  return tables;
}

async function readSqliteFile(db: QueryExecutorProvider, isIndex: (name: string) => boolean): Promise<TableShapes> {
  const listed = await sql<{ name: string; type: string }>`SELECT name, type FROM pragma_table_list WHERE schema = 'main'`.execute(db);
  const tables: TableShapes = new Map();
  for (const { name, type } of listed.rows) {
    if (name.startsWith('sqlite_') || MIGRATOR_TABLES.has(name) || type === 'shadow' || type === 'view') continue;
    if (type === 'virtual' && isIndex(name)) continue;
    const info = await sql<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>`
      SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(${name})`.execute(db);
    const keyColumns = info.rows.filter((column) => column.pk > 0).length;
    const columns = new Map<string, ColumnShape>();
    for (const column of info.rows) {
      const rowid = keyColumns === 1 && column.pk > 0 && column.type.toUpperCase() === 'INTEGER';
      columns.set(column.name, {
        // SQLite reports primary-key columns as nullable (a non-INTEGER key may even hold NULL, an
        // old SQLite allowance); every key here is written by the application, and PostgreSQL,
        // which enforces NOT NULL on keys, runs the same comparison.
        nullable: column.notnull === 0 && column.pk === 0,
        family: sqliteFamily(column.type),
        generated: rowid || column.dflt_value !== null,
      });
    }
    tables.set(name, columns);
  }
  return tables;
}

/** SQLite's affinity rules (https://sqlite.org/datatype3.html §3.1), folded into families. */
function sqliteFamily(declared: string): TypeFamily {
  const type = declared.toUpperCase();
  if (type.includes('INT')) return 'number';
  if (type.includes('CHAR') || type.includes('CLOB') || type.includes('TEXT')) return 'text';
  if (type === '' || type.includes('BLOB')) return `other: ${declared || 'no type (BLOB affinity)'}`;
  if (type.includes('REAL') || type.includes('FLOA') || type.includes('DOUB')) return 'number';
  return `other: ${declared} (NUMERIC affinity)`;
}

const POSTGRES_FAMILIES: Record<string, TypeFamily> = {
  text: 'text',
  'character varying': 'text',
  character: 'text',
  smallint: 'number',
  integer: 'number',
  bigint: 'number',
  real: 'number',
  'double precision': 'number',
  numeric: 'number',
};

async function readPostgres(store: Store, isIndex: (name: string) => boolean): Promise<TableShapes> {
  const listed = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(store.db);
  const names = new Set(listed.rows.map((row) => row.table_name).filter((name) => !MIGRATOR_TABLES.has(name) && !isIndex(name)));
  const info = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null; is_identity: string }>`
    SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
    WHERE table_schema = current_schema()
    ORDER BY table_name, ordinal_position`.execute(store.db);
  const tables: TableShapes = new Map([...names].map((name) => [name, new Map<string, ColumnShape>()]));
  for (const column of info.rows) {
    tables.get(column.table_name)?.set(column.column_name, {
      nullable: column.is_nullable === 'YES',
      family: POSTGRES_FAMILIES[column.data_type] ?? `other: ${column.data_type}`,
      generated: column.is_identity === 'YES' || column.column_default !== null,
    });
  }
  return tables;
}

/**
 * Every way the database and the typed schema disagree, one line each naming the table and
 * column. Both directions: a table or column only one side has, nullability either way, the type
 * family, and a column typed `Generated` that the database does not fill in. (A column with a
 * database default may still be typed as required: the queries then always supply it.)
 */
export function schemaDifferences(typed: TableShapes, database: TableShapes, dialect: string): string[] {
  const found: string[] = [];
  for (const [table, typedColumns] of typed) {
    const columns = database.get(table);
    if (!columns) {
      found.push(`${table}: in store/schema.ts, but the ${dialect} migrations create no such table`);
      continue;
    }
    for (const [name, want] of typedColumns) {
      const have = columns.get(name);
      if (!have) {
        found.push(`${table}.${name}: in store/schema.ts, but the ${dialect} table has no such column`);
        continue;
      }
      if (want.nullable !== have.nullable) {
        found.push(`${table}.${name}: store/schema.ts says ${want.nullable ? 'nullable' : 'NOT NULL'}, the ${dialect} column is ${have.nullable ? 'nullable' : 'NOT NULL'}`);
      }
      if (want.family !== have.family) {
        found.push(`${table}.${name}: store/schema.ts says ${want.family}, the ${dialect} column is ${have.family}`);
      }
      if (want.generated && !have.generated) {
        found.push(`${table}.${name}: typed Generated in store/schema.ts, but the ${dialect} column has no default or identity`);
      }
    }
    for (const name of columns.keys()) {
      if (!typedColumns.has(name)) found.push(`${table}.${name}: in the ${dialect} table, missing from store/schema.ts`);
    }
  }
  for (const table of database.keys()) {
    if (!typed.has(table)) found.push(`${table}: a ${dialect} table missing from store/schema.ts (interface Database)`);
  }
  return found;
}
