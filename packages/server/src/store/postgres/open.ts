import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { BucketDatabase, Database } from '../schema.js';
import type { Store } from '../store.js';
import { postgresMigrations } from './migrations.js';
import { withNamedStatements } from './named-statements.js';
import { validReadPool, type ReadPoolOptions } from '../read-pool-options.js';
import { ScheduledSearch } from '../scheduled-search.js';
import { CachedSearch, DirectSearch } from '../search-engine.js';
import { PostgresSearch } from './search.js';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?…` (libpq-style parameters such as sslmode work). */
  url: string;
  /** Most connections this process opens (default 10; `serve` takes it from PGPOOL_MAX). */
  poolMax?: number | undefined;
  /**
   * Run the hot fixed-shape queries as named prepared statements (default on; the commands take
   * it from CONDUIT_PG_NAMED_STATEMENTS). Off for a pooler that multiplexes transactions over
   * server connections and does not track prepared statements (PgBouncer before 1.21 in
   * transaction mode).
   */
  namedStatements?: boolean | undefined;
  /** Apply pending migrations on open (the default). `migrate` runs them explicitly. */
  migrate?: boolean;
  /** How many searches may hold a connection at once (see read-pool-options.ts); unbounded without. */
  readPool?: ReadPoolOptions | undefined;
}

export const DEFAULT_POOL_MAX = 10;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * The schema model holds numbers, as SQLite returns them. pg returns int8 (identity `seq`,
 * COUNT, SUM of integers) and numeric (SUM of bigint, AVG) as strings to avoid precision loss;
 * our values stay far below 2^53, so parse them as numbers. Scoped to this pool, not set on
 * pg's global parsers, so other pg users in the process are not affected.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary' && (oid === INT8_OID || oid === NUMERIC_OID)) {
      return (value: string) => Number(value);
    }
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function poolSize(option: number | undefined): number {
  const value = option ?? DEFAULT_POOL_MAX;
  if (!Number.isInteger(value) || value < 1) throw new Error(`PostgreSQL pool size must be a whole number ≥ 1, got ${value}`);
  return value;
}

/** The URL without its password, for logs and the startup banner. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error('not a PostgreSQL URL');
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

const provider: MigrationProvider = { getMigrations: async () => postgresMigrations };

/** Opens a pooled PostgreSQL store and brings its schema up to date. */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const max = poolSize(options.poolMax);
  if (options.readPool) validReadPool(options.readPool);
  if (options.readPool && options.readPool.size >= max) {
    throw new Error(
      `read pool size ${options.readPool.size} must be below the PostgreSQL pool size ${max} (PGPOOL_MAX): searches would hold every connection the other requests need`,
    );
  }
  const named = options.namedStatements ?? true;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    types,
    application_name: 'conduit-mcp-server',
  });
  // An idle connection the server drops (restart, failover) is reported here; pg has already
  // discarded it and the next query opens a new one, so this must not crash the process.
  pool.on('error', () => undefined);
  // The same for a connection that is checked out: one that dies between the statements of a
  // transaction (a restart, a failover) emits 'error' on its client, where no pool listener is,
  // which crashed the process. Its queries fail on their own, and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: named ? withNamedStatements(pool) : pool }) });
  try {
    if (options.migrate !== false) await migratePostgres(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const scheduled = options.readPool && options.readPool.size > 0 ? new ScheduledSearch(new PostgresSearch(db), options.readPool) : undefined;
  return {
    dialect: 'postgres',
    db,
    search: new CachedSearch(db, scheduled ?? new PostgresSearch(db)),
    transaction: (work) => db.transaction().execute((trx) => work({ dialect: 'postgres', db: trx, search: new DirectSearch(new PostgresSearch(trx)) })),
    readPoolStats: () => scheduled?.stats(),
    // autovacuum analyzes tables as they change.
    refreshStatistics: async () => undefined,
    location: redactUrl(options.url),
    // The database has that table among its others; Kysely's types cannot narrow to it.
    bucketDb: () => db as unknown as Kysely<BucketDatabase>,
    close: () => db.destroy(),
  };
}

export async function postgresMigrationStatus(db: Kysely<Database>): Promise<{ applied: string[]; pending: string[] }> {
  const migrations = await new Migrator({ db, provider }).getMigrations();
  return {
    applied: migrations.filter((m) => m.executedAt).map((m) => m.name),
    pending: migrations.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

export async function migratePostgres(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
